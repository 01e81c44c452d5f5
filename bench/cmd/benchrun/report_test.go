package main

import (
	"strings"
	"testing"
)

func TestWithHistory(t *testing.T) {
	run := func(date, fig string) string {
		return "# onboard benchmarks\n\nWritten by `make bench`.\n\n- Date: " + date + "\n- Machine: m\n\n| # | Figure |\n|---|---|\n| 1a | " + fig + " |\n\n## Notes\n\n- a note of " + date + "\n"
	}
	first := withHistory(run("2026-01-01", "one"), nil)
	if first != run("2026-01-01", "one") {
		t.Fatalf("no earlier file: report changed:\n%s", first)
	}
	second := withHistory(run("2026-02-02", "two"), []byte(first))
	third := withHistory(run("2026-03-03", "three"), []byte(second))
	for _, want := range []string{
		"| 1a | three |",
		historyHeading + "\n\n### 2026-02-02\n\n- Date: 2026-02-02\n- Machine: m\n\n| # | Figure |\n|---|---|\n| 1a | two |\n",
		"### 2026-01-01\n\n- Date: 2026-01-01\n- Machine: m\n\n| # | Figure |\n|---|---|\n| 1a | one |\n",
	} {
		if !strings.Contains(third, want) {
			t.Errorf("missing %q in:\n%s", want, third)
		}
	}
	if strings.Count(third, historyHeading) != 1 || strings.Index(third, "2026-02-02") > strings.Index(third, "### 2026-01-01") {
		t.Errorf("history not once, newest first:\n%s", third)
	}
	if strings.Contains(third, "a note of 2026-02-02") {
		t.Errorf("an earlier run's notes were kept:\n%s", third)
	}
}
