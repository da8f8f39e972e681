package container

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"google.golang.org/protobuf/types/known/durationpb"

	runnerpb "github.com/sandbarn/sandbarn/proto/runner"
	"github.com/sandbarn/sandbarn/sandbox/container/limits"
)

func TestMain(m *testing.M) {
	Init()
	os.Exit(m.Run())
}

// testPolicy is the limit policy of the test runners.
var testPolicy = limits.Policy{
	Default: limits.Limits{CPUMillicores: 2000, MemoryBytes: 512 << 20, Pids: 256},
	Maximum: limits.Limits{CPUMillicores: 4000, MemoryBytes: 2 << 30, Pids: 1024},
}

// newTestRunner returns a runner over a fresh build directory holding an
// empty input root "root"; tests that need a real kernel sandbox skip
// unless run as root.
func newTestRunner(t testing.TB, change func(*Config)) (*Runner, string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("creating containers with cgroups needs root (CI runs as root)")
	}
	build := t.TempDir()
	// The sandbox's root must be able to reach the build directory
	// (ModeInputRoot mounts its root filesystem from there).
	for _, dir := range []string{filepath.Dir(build), build} {
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(build, "root"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		BuildDirectory:    build,
		StateDirectory:    filepath.Join(os.TempDir(), "sandbarn-container-test"),
		CgroupParent:      "/sandbarn-test",
		Limits:            testPolicy,
		DisableSeccomp:    !seccompSupported,
		FileCacheOwnerUID: 0,
	}
	// Most tests run one action, so preparing the input root ahead makes
	// them exercise the prepared path; SANDBARN_TEST_ONESHOT=1 runs the
	// suite again on one-shot containers.
	if os.Getenv("SANDBARN_TEST_ONESHOT") == "1" {
		cfg.OneShot = true
	} else {
		cfg.PrepareInputRoots = []string{"root"}
	}
	// The VM harness (test/vm) boots into an initramfs, where pivot_root
	// cannot work.
	cfg.NoPivotRoot = os.Getenv("SANDBARN_NO_PIVOT_ROOT") == "1"
	if change != nil {
		change(&cfg)
	}
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r, build
}

// result is one finished action as the tests look at it.
type result struct {
	resp           *runnerpb.RunResponse
	stdout, stderr string
}

// runScript runs a shell script in the sandbox with the given platform
// properties.
func runScript(t testing.TB, r *Runner, script string, props map[string]string, timeout time.Duration) result {
	t.Helper()
	res, err := tryScript(r, script, props, timeout)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res
}

func tryScript(r *Runner, script string, props map[string]string, timeout time.Duration) (result, error) {
	platform := &remoteexecution.Platform{}
	for k, v := range props {
		platform.Properties = append(platform.Properties, &remoteexecution.Platform_Property{Name: k, Value: v})
	}
	req := &runnerpb.RunRequest{
		Arguments:            []string{"/bin/sh", "-c", script},
		EnvironmentVariables: map[string]string{"PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"},
		StdoutPath:           "stdout",
		StderrPath:           "stderr",
		InputRootDirectory:   "root",
		Platform:             platform,
		Timeout:              durationpb.New(timeout),
	}
	resp, err := r.Run(context.Background(), req)
	if err != nil {
		return result{}, err
	}
	out, _ := os.ReadFile(filepath.Join(r.cfg.BuildDirectory, "stdout"))
	errOut, _ := os.ReadFile(filepath.Join(r.cfg.BuildDirectory, "stderr"))
	return result{resp: resp, stdout: string(out), stderr: string(errOut)}, nil
}
