package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"math"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Page is what report.html shows.
type Page struct {
	Summary Summary
	// Timeline is the run's sending, second by second (may be empty).
	Timeline Timeline
	// Groups are the failures by reason (Writer.Groups).
	Groups []Group
}

// Groups returns the failed rows written so far, grouped by reason, the
// largest group first.
func (w *Writer) Groups() []Group { return w.groups.list() }

// WriteHTML writes report.html in the out folder: the summary, the
// failures by reason (from the rows written) and the timeline. Call it
// after Close and WriteSummary.
func (w *Writer) WriteHTML(s Summary, t Timeline) error {
	return WriteHTML(filepath.Join(w.dir, HTMLFile), Page{Summary: s, Timeline: t, Groups: w.Groups()})
}

//go:embed report.html.tmpl
var pageSource string

var pageTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"rows":    RowList,
	"percent": func(n, of int) string { return percent(n, of) },
	"since": func(s Summary) string {
		if s.Seconds == 0 && s.Finished.After(s.Started) {
			return duration(s.Finished.Sub(s.Started).Seconds())
		}
		return duration(s.Seconds)
	},
	"when": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
	"host": endpointHost,
	"rate": func(r float64) string {
		if r == 0 {
			return "no limit"
		}
		return strconv.FormatFloat(r, 'f', -1, 64) + " requests/s"
	},
	"base": filepath.Base,
}).Parse(pageSource))

// WriteHTML writes the page at path: one self-contained file (inline CSS
// and SVG, no script, nothing fetched), every value HTML-escaped, created
// as the reports are (0600, O_EXCL, never over a file or a symlink).
func WriteHTML(path string, p Page) error {
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, newView(p)); err != nil {
		return fmt.Errorf("reports: %s: %w", path, err)
	}
	return publish(path, b.Bytes())
}

// view is what the template reads.
type view struct {
	Page
	Title   string
	Verdict string
	Tone    string // ok, warn, bad
	Counts  []countCard
	Links   []link
	Chart   *chart
	Failed  int
}

type countCard struct {
	Label, Tone, Help string
	N                 int
}

type link struct{ Href, Label, Note string }

func newView(p Page) view {
	s := p.Summary
	c := s.Counts
	v := view{Page: p, Failed: c.Failed, Chart: newChart(p.Timeline)}
	v.Title = "onboard · " + s.Provider
	if s.Input != "" {
		v.Title += " · " + filepath.Base(s.Input)
	}
	v.Verdict, v.Tone = verdict(s)
	v.Counts = []countCard{
		{"rows", "", "rows read from the input", c.Rows},
		{"created", "ok", "users this run created", c.Created},
		{"exists", "info", "the vendor already had the user (or this run's own create was acted on though its answer was lost); nothing else was changed", c.Exists},
		{"skipped", "muted", "the ledger says an earlier run created the user, so the vendor was not asked", c.Skipped},
		{"failed", "bad", failedHelp(c), c.Failed},
		{"not attempted", "warn", "not sent because the run stopped early; run again to send them", c.NotAttempted},
	}
	for _, k := range []struct{ kind, label, note string }{
		{"success", SuccessFile, "created, existing and skipped users"},
		{"failures", FailuresFile, "fix and feed back with --input"},
		{"credentials", CredentialsFile, "passwords: hand each line to its owner, then delete the file"},
		{"summary", SummaryFile, "for scripts"},
	} {
		if _, ok := s.Reports[k.kind]; ok || k.kind == "success" || k.kind == "failures" || k.kind == "summary" {
			if s.Stage != "" && s.Reports[k.kind] == "" {
				continue // a run that ended before its reports existed
			}
			v.Links = append(v.Links, link{Href: k.label, Label: k.label, Note: k.note})
		}
	}
	return v
}

func failedHelp(c Counts) string {
	known := c.FailedKnown
	if known == 0 {
		return "rows that could not be created; see below"
	}
	return fmt.Sprintf("%d new, %d known (failed the same way in an earlier run)", max(0, c.Failed-known), known)
}

func verdict(s Summary) (string, string) {
	c := s.Counts
	switch s.ExitCode {
	case 0:
		if c.Failed > 0 {
			return fmt.Sprintf("Done: no new failures (%d created). %s failed the same way in an earlier run; fix them when you can.", c.Created, plural(c.Failed, "row", "rows")), "ok"
		}
		return fmt.Sprintf("Done: every row is created or already there (%d created).", c.Created), "ok"
	case 1:
		var parts []string
		if c.Failed > 0 {
			parts = append(parts, plural(c.Failed, "row failed", "rows failed"))
		}
		if c.NotAttempted > 0 {
			parts = append(parts, plural(c.NotAttempted, "row was not attempted", "rows were not attempted"))
		}
		msg := "Finished: " + strings.Join(parts, ", ")
		if k := c.FailedKnown; k > 0 {
			msg += fmt.Sprintf(" (%d of them failed the same way in an earlier run)", k)
		}
		return msg + ". Fix failures.csv and feed it back with --input; rows already done are skipped.", "warn"
	case 2:
		msg := "Nothing was sent"
		if s.Stage != "" {
			msg += " (" + s.Stage + ")"
		}
		if s.Error != "" {
			msg += ": " + s.Error
		}
		return msg, "bad"
	case 3:
		msg := "Stopped early"
		if s.Stopped != "" {
			msg += ": " + s.Stopped
		}
		return msg + ". Run the same command again to go on; nobody is created twice.", "bad"
	case 4:
		return "Another run of this job was in progress; this one sent nothing.", "bad"
	}
	return fmt.Sprintf("Ended with exit code %d.", s.ExitCode), "bad"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func percent(n, of int) string {
	if of == 0 {
		return ""
	}
	return strconv.FormatFloat(100*float64(n)/float64(of), 'f', 1, 64) + " %"
}

func duration(sec float64) string {
	d := time.Duration(sec * float64(time.Second)).Round(time.Second)
	if sec > 0 && d == 0 {
		return strconv.FormatFloat(sec, 'f', 2, 64) + " s"
	}
	return d.String()
}

// endpointHost shows only the host: a URL may carry a user or a token.
func endpointHost(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// ---- the chart ----

const (
	chartW, chartH = 960, 260
	padL, padR     = 56, 16
	padT, padB     = 16, 36
	maxPoints      = 480
)

// chart is the timeline drawn as SVG: requests as an area, throttled
// answers and retries as lines, per second (an average per second over
// buckets of several seconds when the run was long).
type chart struct {
	W, H                  int
	Requests              string // polygon points
	Throttled, Retries    string // polyline points
	YTicks, XTicks        []tick
	Bucket                int // seconds per point
	PeakRequests          int
	TotalThrottled, TotRt int
	Left, Right, Top, Bot int
}

type tick struct {
	X, Y   float64
	Label  string
	Anchor string // text-anchor
}

func newChart(t Timeline) *chart {
	if len(t) == 0 {
		return nil
	}
	start := t[0].At
	for _, s := range t {
		if s.At.Before(start) {
			start = s.At
		}
	}
	span := 1
	for _, s := range t {
		span = max(span, int(s.At.Sub(start)/time.Second)+1)
	}
	bucket := (span + maxPoints - 1) / maxPoints
	n := (span + bucket - 1) / bucket
	req, thr, ret := make([]float64, n), make([]float64, n), make([]float64, n)
	c := &chart{W: chartW, H: chartH, Bucket: bucket, Left: padL, Right: chartW - padR, Top: padT, Bot: chartH - padB}
	for _, s := range t {
		i := int(s.At.Sub(start)/time.Second) / bucket
		req[i] += float64(s.Requests) / float64(bucket)
		thr[i] += float64(s.Throttled) / float64(bucket)
		ret[i] += float64(s.Retries) / float64(bucket)
		c.PeakRequests = max(c.PeakRequests, s.Requests)
		c.TotalThrottled += s.Throttled
		c.TotRt += s.Retries
	}
	top := 0.0
	for i := range req {
		top = math.Max(top, math.Max(req[i], math.Max(thr[i], ret[i])))
	}
	top = niceCeil(top)
	plotW, plotH := float64(c.Right-c.Left), float64(c.Bot-c.Top)
	x := func(i int) float64 {
		if n == 1 {
			return float64(c.Left) + plotW*float64(i)
		}
		return float64(c.Left) + plotW*float64(i)/float64(n-1)
	}
	y := func(v float64) float64 { return float64(c.Bot) - plotH*v/top }
	pts := func(vs []float64) string {
		var b strings.Builder
		for i, v := range vs {
			fmt.Fprintf(&b, "%.1f,%.1f ", x(i), y(v))
			if n == 1 {
				fmt.Fprintf(&b, "%.1f,%.1f ", x(1), y(v))
			}
		}
		return strings.TrimSpace(b.String())
	}
	last := n - 1
	if n == 1 {
		last = 1
	}
	c.Requests = fmt.Sprintf("%.1f,%.1f %s %.1f,%.1f", x(0), float64(c.Bot), pts(req), x(last), float64(c.Bot))
	c.Throttled, c.Retries = pts(thr), pts(ret)
	for _, f := range []float64{0, 0.5, 1} {
		c.YTicks = append(c.YTicks, tick{Y: y(top * f), Label: strconv.FormatFloat(top*f, 'f', -1, 64)})
	}
	total := time.Duration(span) * time.Second
	for _, f := range []float64{0, 0.25, 0.5, 0.75, 1} {
		anchor := "middle"
		switch f {
		case 0:
			anchor = "start"
		case 1:
			anchor = "end"
		}
		c.XTicks = append(c.XTicks, tick{X: float64(c.Left) + plotW*f, Anchor: anchor, Label: (time.Duration(f * float64(total))).Round(time.Second).String()})
	}
	return c
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten (at least 1).
func niceCeil(v float64) float64 {
	if v <= 1 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}
