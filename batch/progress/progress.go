// Package progress shows how a run is going: a bar on a terminal, a log
// line every few seconds otherwise (cron, CI, a pipe), or nothing.
package progress

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/onboardhq/onboard/batch/report"
)

// Bar draws a progress bar by rows when the row count is known (a small
// file, counted up front) and by bytes read otherwise, so a large file needs
// no pre-count. It writes to the writer it is given (stderr), never stdout.
type Bar struct {
	mu     sync.Mutex
	bar    *progressbar.ProgressBar
	byRows bool
}

// NewBar returns a bar over rows rows when rows > 0, else over size bytes
// (0 when unknown: a spinner).
func NewBar(w io.Writer, rows int, size int64) *Bar {
	max := size
	if rows > 0 {
		max = int64(rows)
	}
	if max <= 0 {
		max = -1
	}
	b := progressbar.NewOptions64(max,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("starting"),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionUseANSICodes(true),
	)
	return &Bar{bar: b, byRows: rows > 0}
}

// Row updates the bar.
func (b *Bar) Row(c report.Counts, done, size int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.bar.Describe(describe(c))
	if b.byRows {
		done = int64(c.Rows)
	}
	_ = b.bar.Set64(done)
}

// Done removes the bar.
func (b *Bar) Done(report.Counts) {
	b.mu.Lock()
	defer b.mu.Unlock()
	_ = b.bar.Finish()
}

// Writer returns a writer for log lines that clears the bar first, so the
// two never tear each other.
func (b *Bar) Writer(w io.Writer) io.Writer { return &clearing{b: b, w: w} }

type clearing struct {
	b *Bar
	w io.Writer
}

func (c *clearing) Write(p []byte) (int, error) {
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	_ = c.b.bar.Clear()
	return c.w.Write(p)
}

func describe(c report.Counts) string {
	s := fmt.Sprintf("%d rows: %d created", c.Rows, c.Created)
	if c.Exists > 0 {
		s += fmt.Sprintf(", %d exist", c.Exists)
	}
	if c.Skipped > 0 {
		s += fmt.Sprintf(", %d skipped", c.Skipped)
	}
	if c.Failed > 0 {
		s += fmt.Sprintf(", %d failed", c.Failed)
	}
	return s
}

// Ticker logs the counts, the rate and an estimate of the time left every
// interval, for runs without a terminal.
type Ticker struct {
	log   *slog.Logger
	every time.Duration
	start time.Time
	mu    sync.Mutex
	last  time.Time
	now   func() time.Time
}

// NewTicker logs at most once per every.
func NewTicker(log *slog.Logger, every time.Duration) *Ticker {
	t := &Ticker{log: log, every: every, now: time.Now}
	t.start = t.now()
	t.last = t.start
	return t
}

// Row logs a progress line when the interval has passed.
func (t *Ticker) Row(c report.Counts, done, size int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if now.Sub(t.last) < t.every {
		return
	}
	t.last = now
	elapsed := now.Sub(t.start).Seconds()
	attrs := []any{"rows", c.Rows, "created", c.Created, "exists", c.Exists, "skipped", c.Skipped, "failed", c.Failed}
	// Numbers stay numbers, so that a JSON log carries them as such (jq
	// can compare them); eta is for people, eta_seconds for scripts.
	if elapsed > 0 {
		attrs = append(attrs, "rows_per_sec", math.Round(10*float64(c.Rows)/elapsed)/10)
	}
	if size > 0 && done > 0 && done < size {
		left := time.Duration(elapsed * float64(size-done) / float64(done) * float64(time.Second)).Round(time.Second)
		attrs = append(attrs, "eta", left.String(), "eta_seconds", int64(left/time.Second), "percent", int(100*done/size))
	}
	t.log.Info("progress", attrs...)
}

// Done does nothing: the run logs its own summary.
func (t *Ticker) Done(report.Counts) {}

// CountLines returns the number of data lines of a file no larger than max
// bytes (0 when larger or unreadable), for a bar by rows. Quoted values
// spanning lines make it an estimate; the bar only needs that.
//
// A zip archive (an .xlsx) counts 0. Anything but a regular file counts 0
// without being opened: opening a FIFO waits for its writer, and reading
// it would eat the input.
func CountLines(path string, limit int64) int {
	if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
		return 0
	}
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || st.Size() > limit || !st.Mode().IsRegular() {
		return 0
	}
	r := bufio.NewReaderSize(f, 64<<10)
	if head, _ := r.Peek(4); bytes.Equal(head, []byte("PK\x03\x04")) {
		return 0 // a workbook (.xlsx): its line breaks are no rows
	}
	buf := make([]byte, 64<<10)
	n, last := 0, byte('\n')
	for {
		k, err := r.Read(buf)
		if k > 0 {
			n += bytes.Count(buf[:k], []byte{'\n'})
			last = buf[k-1]
		}
		if err != nil {
			break
		}
	}
	if last != '\n' {
		n++
	}
	return max(n-1, 0) // the header
}
