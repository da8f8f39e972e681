package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sandbarn/sandbarn/test/testenv"
)

const (
	slowTarget = "//slow:slow"
	// slowMarker is in the command line of //slow:slow's action, which is
	// how the test knows the action is running on the farm.
	slowMarker = "sandbarn-e2e-slow-action"
	// actionStartTimeout bounds the wait for the slow action to start.
	actionStartTimeout = 2 * time.Minute
	// restartTimeout bounds the wait for the farm to replace a process.
	restartTimeout = time.Minute
)

// TestRemoteExecutionSurvivesKills kills the runner, then the worker, with
// SIGKILL while an action runs on them. The farm must restart the process,
// the action must run again, and Bazel's build must succeed.
func TestRemoteExecutionSurvivesKills(t *testing.T) {
	bazelBin := requireBazel(t)
	base := testenv.TempDir(t, "sandbarn-e2e-kill-")
	f := startFarm(t, buildProgram(t, "sandbarn", base), base)
	ws := newWorkspace(t, base)
	bz := newBazel(t, bazelBin, ws, base, "remote")
	flags := f.bazelFlags()
	for _, role := range []string{"runner", "worker"} {
		if !t.Run("kill -9 "+role, func(t *testing.T) { killMidAction(t, f, bz, ws, flags, role) }) {
			return
		}
	}
}

// killMidAction builds //slow:slow with fresh input and kills the farm's
// process for role while the action is running.
func killMidAction(t *testing.T, f *farm, bz *bazel, ws *workspace, flags []string, role string) {
	nonce := ws.writeNonce(t)
	stale := markedPIDs(listProcesses(), slowMarker)
	done := make(chan bazelResult, 1)
	go func() {
		r, err := bz.execute("build", append(flags, slowTarget)...)
		done <- bazelResult{r, err}
	}()

	action := waitForAction(t, f, stale, done)
	procs := listProcesses()
	victim, ok := findRole(procs, f.cmd.Process.Pid, role)
	if !ok {
		t.Fatalf("no %s process below the farm (pid %d); the farm must run it as its own process naming %q in its command line. Farm processes: %s",
			role, f.cmd.Process.Pid, role, describe(descendants(procs, f.cmd.Process.Pid)))
	}
	t.Logf("action running as pid %d; killing the %s, pid %d (%s)", action.pid, role, victim.pid, strings.Join(victim.argv, " "))
	if err := syscall.Kill(victim.pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 %d: %v", victim.pid, err)
	}

	res := <-done
	if res.err != nil {
		t.Fatal(res.err)
	}
	if res.run.exitCode != 0 {
		t.Fatalf("the build failed after the %s was killed: exit code %d; output:\n%s", role, res.run.exitCode, testenv.Tail(res.run.output))
	}
	requireSlowOutput(t, bz, flags, nonce)
	waitForRestart(t, f, role, victim.pid)
}

// bazelResult carries a Bazel run back from the goroutine that waited for it.
type bazelResult struct {
	run bazelRun
	err error
}

// waitForAction polls the farm's process tree until a new //slow:slow
// process appears. The build finishing first means there was nothing to
// kill, which is a failure of the test's premise.
func waitForAction(t *testing.T, f *farm, stale map[int]bool, done chan bazelResult) process {
	t.Helper()
	deadline := time.Now().Add(actionStartTimeout)
	for time.Now().Before(deadline) {
		if p, ok := findMarked(listProcesses(), f.cmd.Process.Pid, slowMarker, stale); ok {
			return p
		}
		select {
		case res := <-done:
			t.Fatalf("the build ended before its action was seen on the farm (err %v, exit %d); output:\n%s",
				res.err, res.run.exitCode, testenv.Tail(res.run.output))
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Fatalf("no process with %q below the farm after %v", slowMarker, actionStartTimeout)
	return process{}
}

// requireSlowOutput checks the action completed in full on its retry.
func requireSlowOutput(t *testing.T, bz *bazel, flags []string, nonce string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(bz.info("bazel-bin", flags...), "slow", "slow.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if want := nonce + "\n" + slowMarker + "\n"; string(b) != want {
		t.Errorf("slow/slow.txt = %q, want %q", b, want)
	}
}

// waitForRestart requires a new process for role below the farm, and the
// farm itself still running.
func waitForRestart(t *testing.T, f *farm, role string, killed int) {
	t.Helper()
	deadline := time.Now().Add(restartTimeout)
	for {
		if exited, err := f.exitError(); exited {
			t.Fatalf("the farm exited after its %s was killed: %v", role, err)
		}
		if p, ok := findRole(listProcesses(), f.cmd.Process.Pid, role); ok && p.pid != killed {
			t.Logf("the farm restarted the %s as pid %d", role, p.pid)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no new %s below the farm %v after the old one (pid %d) was killed", role, restartTimeout, killed)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func describe(procs []process) string {
	var b strings.Builder
	for _, p := range procs {
		b.WriteString("\n  ")
		b.WriteString(strings.Join(append([]string{strconv.Itoa(p.pid) + ":"}, p.argv...), " "))
	}
	return b.String()
}
