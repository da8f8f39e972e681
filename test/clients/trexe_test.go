package clients

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sandbarn/sandbarn/test/testenv"
)

// clientTimeout bounds one client invocation, a BuildStream build included.
const clientTimeout = 3 * time.Minute

// trexe runs the buildbox suite's trexe inside the client root against
// the farm's default instance.
func trexe(ctx context.Context, c *client, f *farm, args ...string) result {
	c.t.Helper()
	return c.run(ctx, nil, append([]string{"trexe", "--remote=" + f.url()}, args...)...)
}

// TestTrexeStdout runs a command remotely and gets its standard output
// back.
func TestTrexeStdout(t *testing.T) {
	c := newClient(t)
	f := startFarm(t, c.shared)
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	const want = "hello from a sandbarn action"
	r := trexe(ctx, c, f, "--", "/bin/echo", want)
	if r.exitCode != 0 {
		t.Fatalf("trexe exited with %d:\n%s", r.exitCode, testenv.Tail(r.output))
	}
	if !strings.Contains(r.output, want) {
		t.Fatalf("trexe output lacks the action's stdout %q:\n%s", want, testenv.Tail(r.output))
	}
}

// TestTrexeCancel starts a long action with --no-wait, waits until its
// process runs on this machine, cancels the operation with --cancel and
// expects the process to be gone soon after.
func TestTrexeCancel(t *testing.T) {
	c := newClient(t)
	f := startFarm(t, c.shared)
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	// An argument no other process has, so the test can find the action's
	// process among the host's.
	marker := fmt.Sprintf("%d.%06d", 4000+rand.IntN(1000), rand.IntN(1000000))
	// Killing the farm does not reach processes in its sandboxes' cgroups;
	// if the cancel does not work, end the sleep so it does not linger.
	t.Cleanup(func() {
		for _, pid := range processesWithArgs("sleep", marker) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	r := trexe(ctx, c, f, "--no-wait", "--", "/bin/sleep", marker)
	if r.exitCode != 0 {
		t.Fatalf("trexe --no-wait exited with %d:\n%s", r.exitCode, testenv.Tail(r.output))
	}
	op := lastLine(r.output)
	if op == "" {
		t.Fatalf("trexe --no-wait printed no operation name:\n%s", r.output)
	}
	t.Logf("operation %s", op)
	if !waitFor(60*time.Second, func() bool { return len(processesWithArgs("sleep", marker)) > 0 }) {
		t.Fatalf("the action's process (sleep %s) never started; farm output:\n%s", marker, testenv.Tail(f.output.String()))
	}
	r = trexe(ctx, c, f, "--cancel", "--operation="+op)
	if r.exitCode != 0 {
		t.Fatalf("trexe --cancel --operation=%s exited with %d:\n%s", op, r.exitCode, testenv.Tail(r.output))
	}
	if !waitFor(15*time.Second, func() bool { return len(processesWithArgs("sleep", marker)) == 0 }) {
		t.Fatalf("sleep %s still runs 15s after trexe --cancel (pids %v)", marker, processesWithArgs("sleep", marker))
	}
	r = trexe(ctx, c, f, "--operation="+op, "--wait")
	t.Logf("trexe --operation=%s --wait after the cancel: exit %d\n%s", op, r.exitCode, testenv.Tail(r.output))
	if r.exitCode == 0 {
		t.Errorf("waiting for the cancelled operation succeeded; it should report the cancellation")
	}
}

// TestTrexeStreamLogs runs an action that prints a line, sleeps and
// prints another, and expects trexe --stream-logs to show the first line
// well before the action ends.
func TestTrexeStreamLogs(t *testing.T) {
	c := newClient(t)
	f := startFarm(t, c.shared)
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	const pause = 8 * time.Second
	early := fmt.Sprintf("early-line-%d", rand.IntN(1000000))
	script := fmt.Sprintf("echo %s; sleep %d; echo late-line", early, int(pause.Seconds()))
	cmd := c.terminalCommand(ctx, nil, "trexe", "--remote="+f.url(), "--stream-logs", "--", "/bin/sh", "-c", script)
	out := &linesWithTimes{}
	cmd.Stdout = out
	cmd.Stderr = out
	started := time.Now()
	err := cmd.Run()
	finished := time.Now()
	if err != nil {
		t.Fatalf("trexe --stream-logs: %v\n%s", err, testenv.Tail(out.String()))
	}
	seen, ok := out.firstContaining(early)
	if !ok {
		t.Fatalf("trexe --stream-logs never printed %q:\n%s", early, testenv.Tail(out.String()))
	}
	t.Logf("%q shown %v after start, %v before trexe exited", early, seen.Sub(started).Round(time.Millisecond),
		finished.Sub(seen).Round(time.Millisecond))
	// The action still has most of its pause to sleep when the line is
	// printed; output that only arrives with the result comes after it.
	if finished.Sub(seen) < pause/2 {
		t.Fatalf("%q appeared only %v before trexe exited (the action sleeps %v after printing it): not streamed live\n%s",
			early, finished.Sub(seen), pause, testenv.Tail(out.String()))
	}
}

// lastLine is the last non-empty line of s, trimmed.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// processesWithArgs lists the pids of host processes whose command line
// is exactly a program ending in prog followed by args. Processes in the
// farm's sandboxes are visible too: their PID namespaces are below ours.
func processesWithArgs(prog string, args ...string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || len(data) == 0 {
			continue
		}
		argv := strings.Split(strings.TrimSuffix(string(data), "\x00"), "\x00")
		if len(argv) == len(args)+1 && filepath.Base(argv[0]) == prog && slices.Equal(argv[1:], args) {
			pids = append(pids, pid)
		}
	}
	return pids
}
