package container

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// rootlessUID is the unprivileged user the rootless test runs the runner
// as (nobody).
const rootlessUID = "65534"

// TestRootless runs the runner as an unprivileged user: as root the test
// copies its own binary somewhere that user can read and re-runs
// TestRootlessRunner through setpriv.
func TestRootless(t *testing.T) {
	if os.Getenv("SANDBARN_ROOTLESS_CHILD") == "1" {
		t.Skip("this is the child run")
	}
	if os.Geteuid() != 0 {
		t.Skip("dropping to an unprivileged user needs root (CI runs as root)")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("setpriv (util-linux) is not installed")
	}
	// busybox's setpriv (the cgroup v2 VM) lacks the options used here.
	if out, _ := exec.Command(setpriv, "--version").CombinedOutput(); !strings.Contains(string(out), "util-linux") {
		t.Skip("setpriv is not util-linux's")
	}
	dir := t.TempDir()
	must(t, os.Chmod(filepath.Dir(dir), 0o755))
	must(t, os.Chmod(dir, 0o755))
	self, err := os.Executable()
	must(t, err)
	data, err := os.ReadFile(self)
	must(t, err)
	bin := filepath.Join(dir, "container.test")
	must(t, os.WriteFile(bin, data, 0o755))
	// The user's own writable directory, and a cached input file owned by
	// root (the worker's file cache owner) inside its input root.
	home := filepath.Join(dir, "home")
	must(t, os.MkdirAll(filepath.Join(home, "build", "root"), 0o755))
	must(t, os.WriteFile(filepath.Join(home, "build", "root", "input.txt"), []byte("cached\n"), 0o444))
	must(t, exec.Command("chown", "-R", rootlessUID+":"+rootlessUID, home).Run())
	must(t, os.Chown(filepath.Join(home, "build", "root", "input.txt"), 0, 0))

	cmd := exec.Command(setpriv, "--reuid", rootlessUID, "--regid", rootlessUID, "--clear-groups", "--inh-caps=-all",
		bin, "-test.run", "^TestRootlessRunner$", "-test.v", "-test.count=1")
	cmd.Env = []string{"SANDBARN_ROOTLESS_CHILD=1", "SANDBARN_ROOTLESS_HOME=" + home, "HOME=" + home,
		"PATH=/usr/bin:/bin", "XDG_RUNTIME_DIR=" + home}
	out, err := cmd.CombinedOutput()
	t.Logf("rootless run:\n%s", out)
	if err != nil {
		t.Fatalf("rootless runner failed: %v", err)
	}
	if !strings.Contains(string(out), "--- PASS: TestRootlessRunner") {
		t.Fatal("the rootless test did not run")
	}
	if data, _ := os.ReadFile(filepath.Join(home, "build", "root", "input.txt")); string(data) != "cached\n" {
		t.Errorf("cached input changed to %q", data)
	}
}

// TestRootlessRunner is the unprivileged half of TestRootless.
func TestRootlessRunner(t *testing.T) {
	home := os.Getenv("SANDBARN_ROOTLESS_HOME")
	if os.Getenv("SANDBARN_ROOTLESS_CHILD") != "1" || home == "" {
		t.Skip("run by TestRootless as an unprivileged user")
	}
	if os.Geteuid() == 0 {
		t.Fatal("the rootless half runs as root")
	}
	for _, oneShot := range []bool{true, false} {
		r, err := New(Config{
			BuildDirectory:    filepath.Join(home, "build"),
			StateDirectory:    filepath.Join(home, "state"),
			FileCacheOwnerUID: 0,
			Limits:            testPolicy,
			DisableSeccomp:    !seccompSupported,
			OneShot:           oneShot,
			PrepareInputRoots: []string{"root"},
			NoPivotRoot:       os.Getenv("SANDBARN_NO_PIVOT_ROOT") == "1",
		})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			res := runScript(t, r, "id -u; id -g; pwd; (exec 5</proc/1/fd/3) 2>/dev/null && echo opened-init-socket; echo x > input.txt; chmod 666 input.txt; cat input.txt; echo out > made; ls /proc | grep -c '^[0-9]'",
				map[string]string{"dockerRunAsRoot": "true"}, time.Minute)
			// The runner's own uid is the only one, mapped as root.
			want := "0\n0\n" + InputRootPath + "\ncached\n"
			if !strings.HasPrefix(res.stdout, want) || res.resp.ExitCode != 0 {
				t.Errorf("one-shot %v run %d: exit %d stdout %q stderr %q", oneShot, i, res.resp.ExitCode, res.stdout, res.stderr)
			}
			if data, err := os.ReadFile(filepath.Join(home, "build", "root", "made")); err != nil || string(data) != "out\n" {
				t.Errorf("output file: %q %v", data, err)
			}
		}
		if n := r.Stats().PreparedRuns; !oneShot && n != 2 {
			t.Errorf("%d actions ran in prepared containers, want 2", n)
		}
		r.Close()
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
