package farmapp

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sandbarn/sandbarn/cmd/internal/configfile"
	"github.com/sandbarn/sandbarn/cmd/internal/runnerapp"
	"github.com/sandbarn/sandbarn/cmd/internal/workerapp"
	"github.com/sandbarn/sandbarn/storage/configuration"
)

func TestChildConfigsLoadStrictly(t *testing.T) {
	dir := t.TempDir()
	o := Options{DataDir: dir, Sandbox: "container", Concurrency: 3}
	if err := o.normalize(); err != nil {
		t.Fatal(err)
	}
	var r runnerapp.Config
	var w workerapp.Config
	for _, c := range []struct {
		name string
		in   any
		out  any
	}{{"runner.jsonnet", o.runnerConfig(), &r}, {"worker.jsonnet", o.workerConfig(), &w}} {
		p := filepath.Join(dir, c.name)
		if err := writeConfig(p, c.in); err != nil {
			t.Fatal(err)
		}
		if err := configfile.Load(p, c.out); err != nil {
			t.Fatalf("%s does not load back: %v", c.name, err)
		}
	}
	if r.BuildDirectory != w.BuildDirectory || r.GRPCListenPath != w.RunnerSocket {
		t.Fatalf("runner and worker disagree: %+v vs %+v", r, w)
	}
	internal := "unix://" + filepath.Join(dir, "internal.sock")
	for _, b := range []*configuration.GRPCConfiguration{w.Blobstore.ContentAddressableStorage.GRPC, w.Blobstore.ActionCache.GRPC} {
		if b == nil || b.Address != internal {
			t.Fatalf("worker storage %+v is not the farm's on %s", w.Blobstore, internal)
		}
	}
	if len(r.Container.PrepareInputRoots) != 3 || r.Container.PrepareInputRoots[2] != "2/root" {
		t.Fatalf("prepared roots %v", r.Container.PrepareInputRoots)
	}
}

func TestNormalizeRejectsUnknownSandbox(t *testing.T) {
	o := Options{DataDir: t.TempDir(), Sandbox: "chroot"}
	if err := o.normalize(); err == nil {
		t.Fatal("unknown sandbox accepted")
	}
}

func TestCheckReachable(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: as another user a mode 0700 parent is not traversable at all")
	}
	// Not t.TempDir: its parent directory is mode 0700.
	base, err := os.MkdirTemp("", "farm-reachable-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(base)
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	closed := filepath.Join(base, "closed")
	data := filepath.Join(closed, "data")
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(closed, 0o700); err != nil {
		t.Fatal(err)
	}
	err = checkReachable(data)
	if err == nil || !strings.Contains(err.Error(), closed) {
		t.Fatalf("error %v does not name the closed parent %s", err, closed)
	}
	os.Chmod(closed, 0o755)
	if err := checkReachable(data); err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(data); info.Mode().Perm()&0o001 == 0 {
		t.Fatalf("data directory left at mode %v", info.Mode().Perm())
	}
}

// A data directory below a closed one (a checkout in /root, say) still
// gets a farm: the sandbox-mounted directories move to /var/lib/sandbarn
// and are linked from the data directory.
func TestSandboxDirFallsBackWhenDataDirIsClosed(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the fallback below /var/lib/sandbarn is for root")
	}
	closed := t.TempDir() // its parent is mode 0700
	o := Options{DataDir: filepath.Join(closed, "data"), Sandbox: "container"}
	if err := o.normalize(); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(o.DataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := o.chooseSandboxDir(); err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(o.sandboxDir)
	if !strings.HasPrefix(o.sandboxDir, fallbackSandboxRoot+"/") {
		t.Fatalf("sandbox directory %s", o.sandboxDir)
	}
	for _, part := range sandboxMounted {
		if target, err := os.Readlink(filepath.Join(o.DataDir, part)); err != nil || target != filepath.Join(o.sandboxDir, part) {
			t.Fatalf("%s links to %q, %v", part, target, err)
		}
	}
	if got := o.runnerConfig().BuildDirectory; !strings.HasPrefix(got, o.sandboxDir) {
		t.Fatalf("runner build directory %s is not below %s", got, o.sandboxDir)
	}
	if err := checkReachable(o.sandboxDir); err != nil {
		t.Fatal(err)
	}
}
