package progress

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onboardhq/onboard/batch/report"
)

func TestTickerLogsOncePerInterval(t *testing.T) {
	var buf bytes.Buffer
	tk := NewTicker(slog.New(slog.NewTextHandler(&buf, nil)), 5*time.Second)
	now := tk.start
	tk.now = func() time.Time { return now }
	for i := 1; i <= 10; i++ {
		now = tk.start.Add(time.Duration(i) * time.Second)
		tk.Row(report.Counts{Rows: i * 10, Created: i * 10}, int64(i*100), 2000)
	}
	out := buf.String()
	if n := strings.Count(out, "msg=progress"); n != 2 {
		t.Fatalf("%d progress lines in 10 s at a 5 s interval:\n%s", n, out)
	}
	if !strings.Contains(out, "rows=50") || !strings.Contains(out, "rows_per_sec=10") || !strings.Contains(out, "eta=15s") || !strings.Contains(out, "percent=25") {
		t.Fatalf("progress line lacks counts, rate or ETA:\n%s", out)
	}
}

// TestTickerJSONNumbers: in a JSON log every figure is a JSON number.
func TestTickerJSONNumbers(t *testing.T) {
	var buf bytes.Buffer
	tk := NewTicker(slog.New(slog.NewJSONHandler(&buf, nil)), time.Second)
	now := tk.start
	tk.now = func() time.Time { return now }
	now = tk.start.Add(4 * time.Second)
	tk.Row(report.Counts{Rows: 30, Created: 29, Failed: 1}, 500, 2000)
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("%v: %s", err, buf.Bytes())
	}
	for key, want := range map[string]float64{"rows": 30, "created": 29, "failed": 1, "rows_per_sec": 7.5, "eta_seconds": 12, "percent": 25} {
		if got, ok := line[key].(float64); !ok || got != want {
			t.Errorf("%s = %#v, want the number %v", key, line[key], want)
		}
	}
}

func TestCountLines(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.csv")
	os.WriteFile(p, []byte("h1,h2\na,b\nc,d"), 0o644)
	if n := CountLines(p, 1<<20); n != 2 {
		t.Fatalf("CountLines = %d, want 2", n)
	}
	if n := CountLines(p, 4); n != 0 {
		t.Fatalf("a file over the limit is counted: %d", n)
	}
	os.WriteFile(p, []byte("PK\x03\x04\n\n\n\n"), 0o644)
	if n := CountLines(p, 1<<20); n != 0 {
		t.Fatalf("a workbook is counted: %d", n)
	}
}

func TestBarWritesOnlyToItsWriter(t *testing.T) {
	var buf bytes.Buffer
	b := NewBar(&buf, 10, 0)
	b.Row(report.Counts{Rows: 3, Created: 2, Failed: 1}, 0, 0)
	b.Done(report.Counts{})
	if !strings.Contains(buf.String(), "3 rows: 2 created, 1 failed") {
		t.Fatalf("bar output %q", buf.String())
	}
}
