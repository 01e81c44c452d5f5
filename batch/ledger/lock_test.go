package ledger

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestLockExcludesAndNamesTheHolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "job.ledger.db")
	l, err := Acquire(path, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(path, time.Now())
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("second Acquire: %v, want *LockedError", err)
	}
	if le.Holder.PID != os.Getpid() || !strings.Contains(err.Error(), "another run of this job is in progress") {
		t.Fatalf("holder %+v, message %q", le.Holder, err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	l2, err := Acquire(path, time.Now())
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	l2.Release()
}

// A run killed with SIGKILL leaves the lock file behind but not the lock:
// the OS drops it with the process.
func TestLockDiesWithItsProcess(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("SIGKILL")
	}
	if p := os.Getenv("ONBOARD_LOCK_HOLDER"); p != "" {
		if _, err := Acquire(p, time.Now()); err != nil {
			os.Exit(3)
		}
		os.Stdout.WriteString("locked\n")
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	path := filepath.Join(t.TempDir(), "job.ledger.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockDiesWithItsProcess$")
	cmd.Env = append(os.Environ(), "ONBOARD_LOCK_HOLDER="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "locked\n" {
		cmd.Process.Kill()
		t.Fatalf("holder said %q", line)
	}
	var le *LockedError
	if _, err := Acquire(path, time.Now()); !errors.As(err, &le) || le.Holder.PID != cmd.Process.Pid {
		t.Fatalf("while held by pid %d: %v", cmd.Process.Pid, err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	l, err := Acquire(path, time.Now())
	if err != nil {
		t.Fatalf("after SIGKILL of the holder: %v", err)
	}
	l.Release()
}

func TestFlushNoticesAReplacedLedger(t *testing.T) {
	for _, replace := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "l.db")
		l, err := Open(path, "cognigy", "https://x")
		if err != nil {
			t.Fatal(err)
		}
		os.Remove(path)
		if replace {
			os.WriteFile(path, nil, 0o600)
		}
		l.Pending("a@x", 2)
		if err := l.Flush(); !errors.Is(err, ErrReplaced) {
			t.Fatalf("replace=%v: Flush = %v, want ErrReplaced", replace, err)
		}
		l.Close()
	}
}

func TestKnownFailures(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.db")
	night := func(fails ...[3]string) []bool {
		l, err := Open(path, "cognigy", "https://x")
		if err != nil {
			t.Fatal(err)
		}
		var known []bool
		for _, f := range fails {
			k, err := l.Failure(f[0], strings.Split(f[1], ","), f[2])
			if err != nil {
				t.Fatal(err)
			}
			known = append(known, k)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		return known
	}
	a := [3]string{"a@x", "A,,a@x", `row 3: column "Email" is empty`}
	noKey := [3]string{"", "B,C,", "row 7: the key is empty"}
	if got := night(a, noKey); got[0] || got[1] {
		t.Fatalf("first night: %v, want both new", got)
	}
	moved := a
	moved[2] = `row 9: column "Email" is empty` // a row inserted above
	if got := night(moved, noKey); !got[0] || !got[1] {
		t.Fatalf("second night: %v, want both known", got)
	}
	changed := a
	changed[1] = "A2,,a@x"
	if got := night(changed); got[0] {
		t.Fatal("changed cells must make the failure new")
	}
}
