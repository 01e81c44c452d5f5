package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// proc is one finished child process, as the kernel accounted for it.
type proc struct {
	Label  string
	Rows   int
	Args   []string
	Wall   time.Duration
	User   time.Duration
	Sys    time.Duration
	MaxRSS int64 // KiB (Linux reports ru_maxrss in KiB)
	// Harness is the harness's own CPU time meanwhile: the sandbox serving
	// the run, mostly.
	Harness time.Duration
	// Other is the share of the machine's CPU that other processes used
	// meanwhile (-1 when unknown).
	Other    float64
	ExitCode int
	Stdout   []byte
	Stderr   string // the last few KiB
}

// CPU is user plus system time.
func (p proc) CPU() time.Duration { return p.User + p.Sys }

// MaxRSSMiB is the peak resident set in MiB.
func (p proc) MaxRSSMiB() float64 { return float64(p.MaxRSS) / 1024 }

// launchStats is what the launcher reports about its child.
type launchStats struct {
	WallNS   int64  `json:"wall_ns"`
	UserNS   int64  `json:"user_ns"`
	SysNS    int64  `json:"sys_ns"`
	MaxRSS   int64  `json:"maxrss_kib"`
	ExitCode int    `json:"exit_code"`
	Err      string `json:"err,omitempty"`
}

// launch is the -launch mode: run argv with this process's standard files
// and environment, and write its figures as JSON to statsPath.
//
// Children are started through this small launcher process, not directly
// by the harness, because on Linux a child's ru_maxrss includes the peak
// RSS of the address space it was started from: exec records the old mm's
// high-water mark, and Go starts children with vfork semantics (CLONE_VM),
// so the old mm is the parent's. The harness holds the sandbox's users (up
// to ~1 GiB); the launcher holds a few MiB, about what a shell would.
func launch(statsPath string, argv []string) error {
	if len(argv) == 0 {
		return errors.New("launch: no command")
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	st := launchStats{WallNS: int64(time.Since(start))}
	var ee *exec.ExitError
	switch {
	case cmd.ProcessState == nil || err != nil && !errors.As(err, &ee):
		st.Err = fmt.Sprint(err)
	default:
		st.ExitCode = cmd.ProcessState.ExitCode()
		st.UserNS = int64(cmd.ProcessState.UserTime())
		st.SysNS = int64(cmd.ProcessState.SystemTime())
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			st.MaxRSS = ru.Maxrss
		}
	}
	data, _ := json.Marshal(st)
	return os.WriteFile(statsPath, data, 0o600)
}

// runProc runs bin with args and extra environment through the launcher
// (self -launch), and waits for it. The error is non-nil only when the
// process could not be run at all; a non-zero exit is in ExitCode.
func runProc(label, self, statsDir, bin string, args []string, env []string, stdin io.Reader, keepStdout bool) (proc, error) {
	stats, err := os.CreateTemp(statsDir, "stats-*.json")
	if err != nil {
		return proc{}, err
	}
	stats.Close()
	defer os.Remove(stats.Name())
	cmd := exec.Command(self, append([]string{"-launch", stats.Name(), "--", bin}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = stdin
	var out bytes.Buffer
	tail := &tailBuffer{max: 8 << 10}
	cmd.Stdout = io.Discard
	if keepStdout {
		cmd.Stdout = &out
	}
	cmd.Stderr = tail
	before := sampleCPU()
	err = cmd.Run()
	after := sampleCPU()
	p := proc{Label: label, Args: append([]string{bin}, args...), Stdout: out.Bytes(), Stderr: tail.String()}
	if err != nil {
		return p, fmt.Errorf("%s: launcher: %w: %s", label, err, p.Stderr)
	}
	data, err := os.ReadFile(stats.Name())
	if err != nil {
		return p, fmt.Errorf("%s: launcher: %w", label, err)
	}
	var st launchStats
	if err := json.Unmarshal(data, &st); err != nil {
		return p, fmt.Errorf("%s: launcher: %w", label, err)
	}
	if st.Err != "" {
		return p, fmt.Errorf("%s: %s", label, st.Err)
	}
	p.Wall, p.User, p.Sys = time.Duration(st.WallNS), time.Duration(st.UserNS), time.Duration(st.SysNS)
	p.MaxRSS, p.ExitCode = st.MaxRSS, st.ExitCode
	p.Other = otherShare(before, after, p.CPU())
	if before.ok && after.ok {
		p.Harness = after.self - before.self
	}
	return p, nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return strings.TrimSpace(string(t.buf)) }
