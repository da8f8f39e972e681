package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sandbarn/sandbarn/test/testenv"
)

const (
	passingTest = "//tests:pass_test"
	failingTest = "//failing:fail_test"
	// memoryTest allocates more than its memory-limit exec property.
	memoryTest = "//failing:memory_test"
	// failureMarker is what the failing test prints before it fails.
	failureMarker = "SANDBARN_E2E_EXPECTED_FAILURE: this test fails on purpose"
	// bazelTestsFailed is Bazel's exit code for a build whose tests failed.
	bazelTestsFailed = 3
)

// TestRemoteExecution builds the whole workspace on `sandbarn farm`, runs
// a passing and a failing test there, compares every output with a local
// build, and checks that a clean rebuild is served from the cache. The
// steps depend on each other, so the first failure stops the rest.
func TestRemoteExecution(t *testing.T) {
	t.Parallel()
	bazelBin := requireBazel(t)
	base := testenv.TempDir(t, "sandbarn-e2e-exec-")
	f := startFarm(t, buildProgram(t, "sandbarn", base), base)
	ws := newWorkspace(t, base)
	remote := newBazel(t, bazelBin, ws, base, "remote")
	flags := f.bazelFlags()
	t.Logf("Bazel flags: %s", strings.Join(flags, " "))

	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"build", func(t *testing.T) { remoteBuild(t, remote, flags, base) }},
		{"passing test", func(t *testing.T) { passingRemoteTest(t, remote, flags, base) }},
		{"failing test", func(t *testing.T) { failingRemoteTest(t, remote, flags) }},
		{"memory limit", func(t *testing.T) { memoryLimitedTest(t, remote, flags) }},
		{"same as local build", func(t *testing.T) { sameAsLocal(t, bazelBin, ws, base, remote, flags) }},
		{"clean rebuild from cache", func(t *testing.T) { cleanRebuildFromCache(t, remote, flags, base) }},
		{"ctrl-c stops the farm", func(t *testing.T) { interruptStopsFarm(t, f) }},
	}
	for _, s := range steps {
		if !t.Run(s.name, s.run) {
			return
		}
	}
}

// remoteBuild builds everything remotely; nothing may run locally.
func remoteBuild(t *testing.T, bz *bazel, flags []string, base string) {
	execLog := filepath.Join(base, "remote-build-exec-log.json")
	bz.mustRun("build", append(flags, "--execution_log_json_file="+execLog, "//...")...)
	requireAllRemote(t, readExecLog(t, execLog))
	requireExpectedContents(t, bz.info("bazel-bin", flags...))
}

func passingRemoteTest(t *testing.T, bz *bazel, flags []string, base string) {
	execLog := filepath.Join(base, "remote-test-exec-log.json")
	bz.mustRun("test", append(flags, "--execution_log_json_file="+execLog, passingTest)...)
	requireAllRemote(t, readExecLog(t, execLog))
	log := readTestLog(t, bz, flags, "tests/pass_test")
	if !strings.Contains(log, "pass_test: all checks passed") {
		t.Errorf("the passing test's log lacks its success line:\n%s", log)
	}
}

// failingRemoteTest runs the test that fails on purpose: Bazel must report
// it failed, and the log the worker returned must hold what it printed.
func failingRemoteTest(t *testing.T, bz *bazel, flags []string) {
	r := bz.run("test", append(flags, failingTest)...)
	if r.exitCode != bazelTestsFailed {
		t.Fatalf("bazel test %s: exit code %d, want %d (tests failed); output:\n%s", failingTest, r.exitCode, bazelTestsFailed, testenv.Tail(r.output))
	}
	if !strings.Contains(r.output, failingTest) || !strings.Contains(r.output, "FAILED") {
		t.Errorf("Bazel's output does not report %s as FAILED:\n%s", failingTest, testenv.Tail(r.output))
	}
	log := readTestLog(t, bz, flags, "failing/fail_test")
	for _, want := range []string{failureMarker, "stderr line from the failing test"} {
		if !strings.Contains(log, want) {
			t.Errorf("the failing test's log lacks %q:\n%s", want, log)
		}
	}
}

// memoryLimitedTest runs a test whose exec_properties limit its memory to
// 64 MiB and which allocates more: the sandbox kills it, and the log the
// client gets says that the memory limit, with its value, was exceeded.
func memoryLimitedTest(t *testing.T, bz *bazel, flags []string) {
	r := bz.run("test", append(flags, memoryTest)...)
	if r.exitCode != bazelTestsFailed {
		t.Fatalf("bazel test %s: exit code %d, want %d (tests failed); output:\n%s", memoryTest, r.exitCode, bazelTestsFailed, testenv.Tail(r.output))
	}
	log := readTestLog(t, bz, flags, "failing/memory_test")
	if strings.Contains(log, "SANDBARN_E2E_MEMORY_NOT_LIMITED") {
		t.Fatalf("the test held 256 MiB despite its 64 MiB limit:\n%s", log)
	}
	if !strings.Contains(log, "exceeded its memory limit of 64 MiB") {
		t.Errorf("the log lacks the memory-limit message:\n%s", log)
	}
}

func readTestLog(t *testing.T, bz *bazel, flags []string, pkgTarget string) string {
	t.Helper()
	p := filepath.Join(bz.info("bazel-testlogs", flags...), pkgTarget, "test.log")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("test log: %v", err)
	}
	return string(b)
}

// sameAsLocal builds the workspace again without any remote flags, in its
// own output base, and requires byte-identical outputs.
func sameAsLocal(t *testing.T, bazelBin string, ws *workspace, base string, remote *bazel, flags []string) {
	local := newBazel(t, bazelBin, ws, base, "local")
	local.mustRun("build", "//...")
	localBin := local.info("bazel-bin")
	requireExpectedContents(t, localBin)
	requireSameOutputs(t, "local", outputTree(t, localBin), "remote", outputTree(t, remote.info("bazel-bin", flags...)))
}

// cleanRebuildFromCache: after `bazel clean` every action must come back
// from the farm's Action Cache, none may execute again.
func cleanRebuildFromCache(t *testing.T, bz *bazel, flags []string, base string) {
	bz.mustRun("clean")
	execLog := filepath.Join(base, "rebuild-exec-log.json")
	out := bz.mustRun("build", append(flags, "--execution_log_json_file="+execLog, "//...")...)
	requireAllCacheHits(t, readExecLog(t, execLog))
	requireOnlyCacheHitsInSummary(t, out)
}

// interruptStopsFarm sends the farm SIGINT, as Ctrl-C in `make run` does:
// it must exit promptly and leave no process behind.
func interruptStopsFarm(t *testing.T, f *farm) {
	exited, err := f.interrupt(30 * time.Second)
	if !exited {
		t.Fatal("the farm is still running 30s after SIGINT")
	}
	if err != nil {
		t.Errorf("the farm exited with an error after SIGINT: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		left := f.groupMembers()
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes of the farm still running 10s after it exited: %v", left)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
