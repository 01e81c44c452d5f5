package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestNormalize(t *testing.T) {
	for _, tt := range []struct {
		msg    string
		status int
		want   string
	}{
		{`row 12: same Work Email as row 3 ("a@x.com"); only the first is sent`, 0, `same Work Email as row # ("…"); only the first is sent`},
		{`row 7: cognigy: create: 400 Bad Request: password does not match the policy (trace sandbox-000042)`, 400, `cognigy: create: 400 Bad Request: password does not match the policy (trace sandbox-#)`},
		{`row 9: scim: create: 409 Conflict: user bob@example.com exists (id 65f0c0ffee0000000000abcd)`, 409, `scim: create: 409 Conflict: user … exists (id #)`},
		{`row 4: line 4, column "Phone": 3 digits are too few`, 0, `line #, column "…": # digits are too few`},
		{`row 5: field "role": "Agnet" is not one of Agent, Supervisor`, 0, `field "…": "…" is not one of Agent, Supervisor`},
		{"row 6: v: lookup: 503 Service Unavailable: request 550e8400-e29b-41d4-a716-446655440000 failed after 2.5s", 503, "v: lookup: 503 Service Unavailable: request # failed after #.#s"},
		{"row 8: name “Zoë” in team «Support» rejected; see `ticket 42`", 0, `name "…" in team "…" rejected; see "…"`},
		{"row 10: x2y9z user12 abc123 unclosed \"quote and tabs\there", 0, `x#y#z user# # unclosed "quote and tabs here`},
		{"no row prefix: 404 Not Found", 404, "no row prefix: 404 Not Found"},
	} {
		if got := Normalize(tt.msg, tt.status); got != tt.want {
			t.Errorf("Normalize(%q)\n got %q\nwant %q", tt.msg, got, tt.want)
		}
	}
}

func TestRowList(t *testing.T) {
	g := failureGroups{}
	for _, row := range []int{2, 3, 4, 9, 12, 13, 5, 1} {
		g.add(&Failure{Stage: StageVendor, Error: "row x: boom"}, row)
	}
	l := g.list()
	if len(l) != 1 || RowList(l[0].Rows, l[0].More) != "1–5, 9, 12–13" || l[0].Count != 8 {
		t.Fatalf("groups %+v", l)
	}
}

// The page holds the counts, each reason with its rows and a fix, the
// links, the settings and the chart; everything escaped, no secret, no
// script and nothing fetched from elsewhere.
func TestHTML(t *testing.T) {
	dir := t.TempDir()
	w, err := Create(dir, credsLayout, Options{Input: "hr.csv"})
	must(t, err)
	must(t, w.WriteCredential(Credential{Row: 2, Key: "a@x", Secrets: map[string]string{"password": "Gen3rated!pw"}}))
	must(t, w.WriteSuccess(Success{Row: 2, Seq: 1, Cells: []string{"a@x"}, Status: "created"}))
	for i, row := range []int{3, 4, 5, 8} {
		must(t, w.WriteFailure(Failure{Row: row, Seq: i + 2, Cells: []string{"x"}, Stage: StageValidation,
			Error: `row ` + string(rune('0'+row)) + `: same Email as row 2 ("a@x"); only the first is sent`}))
	}
	must(t, w.WriteFailure(Failure{Row: 9, Seq: 6, Stage: StageVendor, HTTPStatus: 400, Known: true,
		Error: `row 9: cognigy: create: 400 Bad Request: name <script>alert(1)</script> refused`}))
	must(t, w.WriteFailure(Failure{Row: 10, Seq: 7, Stage: StageNotAttempted, Error: "row 10: not sent: the run was interrupted"}))
	must(t, w.Close())
	start := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	sum := Summary{
		Provider: "cognigy", Input: `C:\HR\<new> "hires".csv`, Endpoint: "https://admin:tok3n@api-trial.cognigy.ai/new/v2.0?key=abc",
		Rate: 20, Concurrency: 8, Encoding: "Windows-1252", Delimiter: ";", Started: start, Finished: start.Add(95 * time.Second),
		Counts:   Counts{Rows: 7, Created: 1, Failed: 5, FailedKnown: 1, NotAttempted: 1},
		Requests: 3, Retries: 1, Throttled: 1, Reports: w.Paths(), ExitCode: 1,
	}
	must(t, WriteSummary(w.Paths()["summary"], sum))
	tl := Timeline{{At: start, Requests: 2}, {At: start.Add(time.Second), Requests: 1, Throttled: 1, Retries: 1}}
	must(t, w.WriteHTML(sum, tl))
	page := read(t, filepath.Join(dir, HTMLFile))
	for _, want := range []string{
		`<div class="label">created</div><div class="n">1`,
		`<div class="label">failed</div><div class="n">5`,
		"4 new, 1 known",
		`same Email as row # (&#34;…&#34;); only the first is sent`,
		"<b>Rows</b> 3–5, 8",
		"Two rows name the same person",
		"<b>Rows</b> 9",
		"<b>Rows</b> 10",
		"Run the same command again",
		`href="success.csv"`, `href="failures.csv"`, `href="credentials.csv"`, `href="summary.json"`,
		"&lt;script&gt;alert(1)&lt;/script&gt;",
		`C:\HR\&lt;new&gt; &#34;hires&#34;.csv`,
		"https://api-trial.cognigy.ai",
		"Windows-1252", "20 requests/s", "8 requests in flight",
		"<svg", "<polygon points=",
		"exists</dt>", "skipped</dt>",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	for _, bad := range []string{"Gen3rated!pw", "tok3n", "admin:", "key=abc", "<script", "http://", "src=", "@import"} {
		if strings.Contains(page, bad) {
			t.Errorf("report.html holds %q", bad)
		}
	}
	if m := regexp.MustCompile(`href="([^"]+)"`).FindAllStringSubmatch(page, -1); len(m) != 4 {
		t.Errorf("links %v, want the 4 files, relative", m)
	}
	var back map[string]any
	must(t, json.Unmarshal([]byte(read(t, filepath.Join(dir, SummaryFile))), &back))
	counts := back["counts"].(map[string]any)
	if counts["failed_new"] != 4.0 || counts["failed_known"] != 1.0 || back["failed_new"] != 4.0 || back["failed_known"] != 1.0 || back["rate"] != 20.0 {
		t.Errorf("summary.json: %v", back)
	}
	info, err := os.Stat(filepath.Join(dir, HTMLFile))
	must(t, err)
	if info.Mode().Perm() != 0o600 {
		t.Errorf("report.html mode %v", info.Mode().Perm())
	}
}

// A run that ended before sending still gets a page (and a summary) that
// says why, with no chart and no links to files that do not exist.
func TestHTMLNothingSent(t *testing.T) {
	dir := t.TempDir()
	sum := Summary{Provider: "scim", Input: "hr.csv", Stage: "input", Error: "hr.csv: no such file", ExitCode: 2}
	must(t, WriteSummary(filepath.Join(dir, SummaryFile), sum))
	must(t, WriteHTML(filepath.Join(dir, HTMLFile), Page{Summary: sum}))
	page := read(t, filepath.Join(dir, HTMLFile))
	for _, want := range []string{"Nothing was sent (input): hr.csv: no such file", "No requests were sent", "No row failed"} {
		if !strings.Contains(page, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	if strings.Contains(page, "href=") {
		t.Error("links to reports that were never written")
	}
	data := read(t, filepath.Join(dir, SummaryFile))
	for _, want := range []string{`"stage": "input"`, `"error": "hr.csv: no such file"`, `"exit_code": 2`, `"failed_new": 0`} {
		if !strings.Contains(data, want) {
			t.Errorf("summary.json lacks %s:\n%s", want, data)
		}
	}
}

func TestVerdict(t *testing.T) {
	for _, tt := range []struct {
		s    Summary
		want string
	}{
		{Summary{ExitCode: 0, Counts: Counts{Created: 3}}, "every row is created or already there (3 created)"},
		{Summary{ExitCode: 0, Counts: Counts{Created: 3, Failed: 2, FailedKnown: 2}}, "no new failures (3 created). 2 rows failed the same way"},
		{Summary{ExitCode: 1, Counts: Counts{Failed: 3, FailedKnown: 1, NotAttempted: 1}}, "3 rows failed, 1 row was not attempted (1 of them failed the same way in an earlier run)"},
		{Summary{ExitCode: 3, Stopped: "vendor unreachable"}, "Stopped early: vendor unreachable"},
		{Summary{ExitCode: 4}, "Another run of this job"},
	} {
		if got, _ := verdict(tt.s); !strings.Contains(got, tt.want) {
			t.Errorf("verdict(%+v) = %q, want %q in it", tt.s.Counts, got, tt.want)
		}
	}
}

// A long run's chart stays a few hundred points.
func TestChartBuckets(t *testing.T) {
	start := time.Unix(0, 0)
	var tl Timeline
	for i := range 3600 {
		tl = append(tl, Second{At: start.Add(time.Duration(i) * time.Second), Requests: 50, Throttled: i % 7})
	}
	c := newChart(tl)
	if c.Bucket != 8 || strings.Count(c.Throttled, " ")+1 != 450 || c.PeakRequests != 50 {
		t.Fatalf("bucket %d, %d points, peak %d", c.Bucket, strings.Count(c.Throttled, " ")+1, c.PeakRequests)
	}
	if c := newChart(tl[:1]); c == nil || c.Requests == "" {
		t.Fatal("one second draws nothing")
	}
}
