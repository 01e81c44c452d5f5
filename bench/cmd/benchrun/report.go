package main

import (
	"fmt"
	"strings"
	"time"
)

func (h *harness) markdown(machine map[string]string, started time.Time, took time.Duration, gb *goBenchRun) string {
	var b strings.Builder
	b.WriteString("# onboard benchmarks\n\n")
	b.WriteString("Written by `make bench` (bench/cmd/benchrun); see bench/README.md for what each figure means and how it is measured.\n\n")
	fmt.Fprintf(&b, "- Date: %s UTC (the whole run took %s)\n", started.UTC().Format("2006-01-02 15:04"), took.Round(time.Second))
	fmt.Fprintf(&b, "- Machine: %s, %s cores, %s RAM, %s\n", orDash(machine["cpu"]), machine["cores"], orDash(machine["memory"]), machine["os"])
	fmt.Fprintf(&b, "- Go: %s; binary: `%s`\n", machine["go"], orDash(machine["binary"]))
	fmt.Fprintf(&b, "- Commit: %s\n", orDash(machine["commit"]))
	fmt.Fprintf(&b, "- Load average (1, 5, 15 min) at the start: %s; at the end: %s\n\n", orDash(machine["load_start"]), orDash(machine["load_end"]))
	worst, worstLabel := -1.0, ""
	for _, p := range h.procs {
		if p.Other > worst {
			worst, worstLabel = p.Other, p.Label
		}
	}
	if worst >= disturbed {
		fmt.Fprintf(&b, "> ⚠ Other processes on this machine used up to %.0f%% of its CPU during a measured run (%s). Figures marked ⚠ are lower than this machine can do; run `make bench` again on a quiet machine before trusting them.\n\n", worst*100, worstLabel)
	}

	pass, fail := 0, 0
	b.WriteString("| # | Figure | Measured | Target | Result |\n|---|---|---|---|---|\n")
	for _, f := range h.figs {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", f.ID, f.Name, f.Measured, f.Target, f.Result)
		switch {
		case f.Result == "PASS":
			pass++
		case strings.Contains(f.Result, "FAIL") || strings.Contains(f.Result, "ERROR"):
			fail++
		}
	}
	fmt.Fprintf(&b, "\n%d targets met, %d missed.\n", pass, fail)

	if len(h.notes) > 0 {
		b.WriteString("\n## Notes\n\n")
		for _, n := range h.notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}

	b.WriteString("\n## Every process\n\n")
	b.WriteString("Wall time is the child's, from start to exit; CPU is user + system as the kernel counted it; peak RSS is `ru_maxrss`. " +
		"The bare client's rows/s is over its POSTs alone (it loads its bodies first). " +
		"Sandbox CPU is the harness's own CPU time during the run: the sandbox serving it, on the same cores.\n\n")
	b.WriteString("| Run | Wall s | Rows/s | CPU s | CPU µs/row | Sandbox CPU µs/row | Peak RSS MiB | Exit | Other processes' CPU |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, p := range h.procs {
		per, sb, rate := "—", "—", "—"
		if p.Rows > 0 {
			per = fmt.Sprintf("%.1f", float64(p.CPU().Microseconds())/float64(p.Rows))
			rate = thousands(int(float64(p.Rows) / p.Wall.Seconds()))
			if p.Harness > 0 {
				sb = fmt.Sprintf("%.1f", float64(p.Harness.Microseconds())/float64(p.Rows))
			}
		}
		other := "—"
		if p.Other >= 0 {
			other = fmt.Sprintf("%.0f%%", p.Other*100)
		}
		rss := "— (in the harness)"
		if p.MaxRSS >= 0 {
			rss = fmt.Sprintf("%.1f", p.MaxRSSMiB())
		}
		fmt.Fprintf(&b, "| %s | %.2f | %s | %.2f | %s | %s | %s | %d | %s |\n", p.Label, p.Wall.Seconds(), rate, p.CPU().Seconds(), per, sb, rss, p.ExitCode, other)
	}

	if gb != nil {
		b.WriteString("\n## Go benchmarks (per-row hot path)\n\n")
		b.WriteString(goBenchMarkdown(*gb))
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// historyHeading starts the part of results.md that keeps the figures of
// earlier runs, newest first.
const historyHeading = "## Earlier runs"

// withHistory appends to report the figures of the results file it
// replaces (old, empty for none): the earlier run's date, machine and
// figure table, then whatever history that file kept, so that a new run
// never loses the old figures.
func withHistory(report string, old []byte) string {
	prev := string(old)
	if strings.TrimSpace(prev) == "" {
		return report
	}
	var history string
	if i := strings.Index(prev, "\n"+historyHeading+"\n"); i >= 0 {
		history = strings.TrimSpace(prev[i+len(historyHeading)+2:])
		prev = prev[:i]
	}
	// The earlier run: its header lines and its figure table, not its
	// notes and per-process tables (they stay in git history).
	var keep []string
	for _, line := range strings.Split(prev, "\n") {
		if strings.HasPrefix(line, "## ") {
			break
		}
		if strings.HasPrefix(line, "# ") || strings.HasPrefix(line, "Written by") {
			continue
		}
		keep = append(keep, line)
	}
	when := "an earlier run"
	for _, line := range keep {
		if d, ok := strings.CutPrefix(line, "- Date: "); ok {
			when = d
			break
		}
	}
	var b strings.Builder
	b.WriteString(strings.TrimRight(report, "\n"))
	b.WriteString("\n\n" + historyHeading + "\n\n")
	fmt.Fprintf(&b, "### %s\n\n%s\n", when, strings.TrimSpace(strings.Join(keep, "\n")))
	if history != "" {
		b.WriteString("\n" + history + "\n")
	}
	return b.String()
}
