package container

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sandbarn/sandbarn/errkind"
	testimages "github.com/sandbarn/sandbarn/test/images"
	"github.com/sandbarn/sandbarn/test/testenv"
)

// runnerWithLog is a test runner whose log the test reads, serving the
// busybox tree in dir as image ref.
func runnerWithLog(t *testing.T, ref, dir string) (*Runner, *testenv.LockedBuffer) {
	t.Helper()
	logs := &testenv.LockedBuffer{}
	r, _ := newTestRunner(t, func(c *Config) {
		c.PrepareInputRoots = nil
		c.Logger = slog.New(slog.NewTextHandler(logs, nil))
		host := HostRootfs(filepath.Join(c.StateDirectory, "hostroot"))
		c.Rootfs = func(ctx context.Context, image string) (Rootfs, error) {
			if image == ref {
				return Rootfs{Path: dir, Reference: ref}, nil
			}
			return host(ctx, image)
		}
	})
	return r, logs
}

func busyboxTree(t *testing.T, withMountPoint bool) string {
	t.Helper()
	dir := filepath.Join(testenv.TempDir(t, "sandbarn-image-"), "busybox")
	if err := testimages.Busybox(dir); err != nil {
		testenv.SkipOrFail(t, "%v", err)
	}
	if withMountPoint {
		if err := os.MkdirAll(filepath.Join(dir, InputRootPath), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestCrashedPreparedInitFallsBack kills the init of the prepared
// container, as a crash or the OOM killer would, before each action: the
// action still runs, in a container created for it, each fault is
// counted and logged with image, phase and cause, and after repeated
// faults the runner stops preparing for that image and input root and
// says so once.
func TestCrashedPreparedInitFallsBack(t *testing.T) {
	if os.Getenv("SANDBARN_TEST_ONESHOT") == "1" {
		t.Skip("tests prepared containers")
	}
	if err := SelfContained(selfExecutable); err != nil {
		testenv.SkipOrFail(t, "the test binary must be linked statically as `make test` links it: %v", err)
	}
	const ref = "docker://test.invalid/busybox@sha256:5"
	r, logs := runnerWithLog(t, ref, busyboxTree(t, true))
	props := map[string]string{imageProperty: ref}
	runScript(t, r, "true", props, time.Minute)
	for i := 0; i < maxPrepareFailures+2; i++ {
		r.pool.background.Wait()
		for _, pid := range r.pool.initPIDs() {
			unix.Kill(pid, unix.SIGKILL)
		}
		res := runScript(t, r, "echo ran; exit 3", props, time.Minute)
		if res.resp.ExitCode != 3 || res.stdout != "ran\n" {
			t.Fatalf("action %d after the crash: exit %d, stdout %q, stderr %q", i, res.resp.ExitCode, res.stdout, res.stderr)
		}
	}
	st := r.Stats()
	if st.PrepareFailures != maxPrepareFailures || st.PreparedRuns != 0 {
		t.Errorf("%+v: want %d failures counted, then no more prepared", st, maxPrepareFailures)
	}
	out := logs.String()
	faults := strings.Count(out, "a prepared container failed")
	if faults != maxPrepareFailures || !strings.Contains(out, "image="+ref) || !strings.Contains(out, "phase=init") ||
		!strings.Contains(out, "error=") {
		t.Errorf("want %d fault lines naming the image, the phase and the cause, got %d:\n%s", maxPrepareFailures, faults, out)
	}
	if n := strings.Count(out, "no more are prepared"); n != 1 {
		t.Errorf("the runner said %d times that it stopped preparing:\n%s", n, out)
	}
}

// TestBrokenImageErrorNamesImageAndPhase runs actions on an image whose
// tree lacks the input root's mount point: preparation fails the same
// way, is tried maxPrepareFailures times only, and every action's error
// names the image and the phase.
func TestBrokenImageErrorNamesImageAndPhase(t *testing.T) {
	const ref = "docker://test.invalid/broken@sha256:6"
	r, logs := runnerWithLog(t, ref, busyboxTree(t, false))
	for i := 0; i < maxPrepareFailures+2; i++ {
		_, err := tryScript(r, "true", map[string]string{imageProperty: ref}, time.Minute)
		if errkind.Of(err) != errkind.Internal || !strings.Contains(err.Error(), ref) || !strings.Contains(err.Error(), ": mount: ") {
			t.Fatalf("action %d: %v; want Internal naming the image and the mount phase", i, err)
		}
	}
	r.pool.background.Wait()
	if !r.pool.preparable(action{settings: settings{image: ref}}) {
		return
	}
	if st := r.Stats(); st.PrepareFailures != maxPrepareFailures {
		t.Errorf("%+v: want preparation tried %d times", st, maxPrepareFailures)
	}
	if n := strings.Count(logs.String(), "no more are prepared"); n != 1 {
		t.Errorf("the runner said %d times that it stopped preparing:\n%s", n, logs.String())
	}
}
