package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// goBench is one line of `go test -bench` output.
type goBench struct {
	Pkg     string
	Name    string
	N       string
	Metrics [][2]string // value, unit, in output order
}

// goBenchRun is the whole `go test -bench` run.
type goBenchRun struct {
	Cmd     string
	Benches []goBench
	Failed  []string // lines that say a package failed
	Err     string
	Wall    time.Duration
	CPU     time.Duration // of go test and its children
	Other   float64       // share of the CPU other processes used meanwhile
}

// runGoBench runs the Go benchmarks, echoing the output to stderr as it
// comes, and parses it.
func runGoBench(goCmd string, args []string) goBenchRun {
	run := goBenchRun{Cmd: goCmd + " " + strings.Join(args, " ")}
	cmd := exec.Command(goCmd, args...)
	var out bytes.Buffer
	cmd.Stdout = io.MultiWriter(&out, os.Stderr)
	cmd.Stderr = io.MultiWriter(&out, os.Stderr)
	start := time.Now()
	err := cmd.Run()
	run.Wall = time.Since(start)
	if cmd.ProcessState != nil {
		run.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if err != nil {
		run.Err = err.Error()
	}
	parseGoBench(&run, out.String())
	return run
}

func parseGoBench(run *goBenchRun, text string) {
	pkg := ""
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		switch {
		case strings.HasPrefix(line, "pkg: "):
			pkg = strings.TrimPrefix(line, "pkg: ")
		case strings.HasPrefix(line, "FAIL") || strings.HasPrefix(line, "--- FAIL") || strings.HasPrefix(line, "panic:"):
			run.Failed = append(run.Failed, line)
		case strings.HasPrefix(line, "Benchmark") && len(f) >= 4 && len(f)%2 == 0:
			b := goBench{Pkg: pkg, Name: f[0], N: f[1]}
			for i := 2; i+1 < len(f); i += 2 {
				b.Metrics = append(b.Metrics, [2]string{f[i], f[i+1]})
			}
			run.Benches = append(run.Benches, b)
		}
	}
}

// metric returns the value of unit, or "".
func (b goBench) metric(unit string) string {
	for _, m := range b.Metrics {
		if m[1] == unit {
			return m[0]
		}
	}
	return ""
}

// others returns the custom metrics (not ns/op, B/op, allocs/op).
func (b goBench) others() string {
	var parts []string
	for _, m := range b.Metrics {
		switch m[1] {
		case "ns/op", "B/op", "allocs/op":
			continue
		}
		parts = append(parts, m[0]+" "+m[1])
	}
	return strings.Join(parts, ", ")
}

// shortPkg drops the module path.
func shortPkg(pkg string) string {
	const mod = "github.com/onboardhq/onboard/"
	if s, ok := strings.CutPrefix(pkg, mod); ok {
		return s
	}
	return pkg
}

func goBenchMarkdown(run goBenchRun) string {
	var b strings.Builder
	fmt.Fprintf(&b, "`%s` (%.0f s)\n\n", run.Cmd, run.Wall.Seconds())
	if run.Other >= disturbed {
		fmt.Fprintf(&b, "> ⚠ Other processes used %.0f%% of the CPU while these ran.\n\n", run.Other*100)
	}
	if len(run.Benches) > 0 {
		b.WriteString("| Package | Benchmark | ns/op | B/op | allocs/op | other |\n|---|---|---:|---:|---:|---|\n")
		for _, x := range run.Benches {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", shortPkg(x.Pkg), x.Name, x.metric("ns/op"), x.metric("B/op"), x.metric("allocs/op"), x.others())
		}
	}
	if run.Err != "" || len(run.Failed) > 0 {
		fmt.Fprintf(&b, "\n**go test did not pass:** %s\n", run.Err)
		for _, l := range run.Failed {
			fmt.Fprintf(&b, "    %s\n", l)
		}
	}
	return b.String()
}
