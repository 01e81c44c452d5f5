package main

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTick is USER_HZ, the unit of /proc/stat (100 on every Linux that Go
// supports).
const clockTick = 10 * time.Millisecond

// cpuSample is the machine's busy time and this process's own CPU time at
// one moment.
type cpuSample struct {
	at   time.Time
	busy time.Duration // all CPUs, every process, steal included
	self time.Duration // this process (the harness and its sandbox)
	ok   bool
}

func sampleCPU() cpuSample {
	s := cpuSample{at: time.Now()}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		s.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return s
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return s
	}
	// user nice system idle iowait irq softirq steal
	var busy int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		v, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return s
		}
		busy += v
	}
	s.busy = time.Duration(busy) * clockTick
	s.ok = true
	return s
}

// otherShare is the share of the machine's CPU capacity between a and b
// used by processes other than this one and its measured child (whose CPU
// time is child): other sessions, the hypervisor's steal. A figure measured
// while it is high is disturbed.
func otherShare(a, b cpuSample, child time.Duration) float64 {
	if !a.ok || !b.ok {
		return -1
	}
	wall := b.at.Sub(a.at)
	if wall < 300*time.Millisecond {
		return -1 // /proc/stat counts in 10 ms ticks: too coarse
	}
	other := (b.busy - a.busy) - (b.self - a.self) - child
	share := float64(other) / float64(wall*time.Duration(runtime.NumCPU()))
	return max(0, share)
}

// loadAvg returns /proc/loadavg's first three fields.
func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// waitQuiet waits, within what is left of the -wait-quiet budget, until
// other processes use less than the quiet share of the CPU over a
// half-second sample, so that a figure is not taken while another session
// compiles or fuzzes. The figures still say how disturbed they were.
func (h *harness) waitQuiet(label string) {
	const sample = 500 * time.Millisecond
	logged := false
	for {
		a := sampleCPU()
		time.Sleep(sample)
		share := otherShare(a, sampleCPU(), 0)
		if share < quiet || h.quietLeft <= 0 {
			if logged {
				logf("%s: other processes now use %.0f%% of the CPU; going on", label, share*100)
			}
			return
		}
		if !logged {
			logf("%s: other processes use %.0f%% of the CPU; waiting for quiet (up to %s more in all)", label, share*100, h.quietLeft.Round(time.Second))
			logged = true
		}
		h.quietLeft -= sample
	}
}
