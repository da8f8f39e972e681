package runnerapp

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"google.golang.org/protobuf/types/known/durationpb"

	runnerpb "github.com/sandbarn/sandbarn/proto/runner"
	"github.com/sandbarn/sandbarn/rootfs"
	rt "github.com/sandbarn/sandbarn/rootfs/registrytest"
	"github.com/sandbarn/sandbarn/sandbox/container"
	"github.com/sandbarn/sandbarn/sandbox/container/limits"
)

// TestActionsRunInsideTheirImage runs actions through the container
// sandbox with the store as its rootfs resolver: one on a busybox image
// pulled by digest from the in-process registry, one on the default
// rootfs.
func TestActionsRunInsideTheirImage(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the container sandbox needs root (CI runs as root)")
	}
	reg := rt.New()
	defer reg.Close()
	pinned := reg.PushOrFail(t, "test/busybox:latest", rt.BusyboxOrSkip(t))
	// A second image: busybox with a layer that replaces os-release and
	// whites out /bin/ls, selected by another action.
	upper, err := rt.Layer(rt.File("etc/os-release", "ID=second\n"), rt.File("bin/.wh.ls", ""))
	if err != nil {
		t.Fatal(err)
	}
	secondImg, err := mutate.AppendLayers(rt.BusyboxOrSkip(t), upper)
	if err != nil {
		t.Fatal(err)
	}
	second := reg.PushOrFail(t, "test/second:latest", secondImg)
	// Sandbox uids must reach the store: no 0700 directories above it.
	storeDir := t.TempDir()
	for _, d := range []string{storeDir, filepath.Dir(storeDir)} {
		os.Chmod(d, 0o755)
	}
	store := openStore(t, storeDir)
	state := filepath.Join(os.TempDir(), "sandbarn-runnerapp-test")
	build := t.TempDir()
	os.Chmod(build, 0o755)
	os.Mkdir(filepath.Join(build, "root"), 0o755)
	runner, err := container.New(container.Config{
		BuildDirectory: build,
		StateDirectory: state,
		CgroupParent:   "/sandbarn-runnerapp-test",
		Limits: limits.Policy{
			Default: limits.Limits{CPUMillicores: 1000, MemoryBytes: 256 << 20, Pids: 64},
			Maximum: limits.Limits{CPUMillicores: 1000, MemoryBytes: 256 << 20, Pids: 64},
		},
		DisableSeccomp: !container.SeccompSupported(),
		OneShot:        true,
		Rootfs:         imageResolver(store, container.HostRootfs(filepath.Join(state, "hostroot")), time.Hour, time.Now),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer runner.Close()

	// ranOn is the image each run reported in its response.
	var ranOn string
	run := func(image string) (string, error) {
		req := &runnerpb.RunRequest{
			Arguments:            []string{"/bin/sh", "-c", "cat /etc/os-release; [ -e /bin/ls ] || echo no-ls"},
			EnvironmentVariables: map[string]string{"PATH": "/usr/bin:/bin"},
			StdoutPath:           "stdout",
			StderrPath:           "stderr",
			InputRootDirectory:   "root",
			Timeout:              durationpb.New(30 * time.Second),
			Platform: &remoteexecution.Platform{Properties: []*remoteexecution.Platform_Property{
				{Name: "container-image", Value: image},
			}},
		}
		resp, err := runner.Run(context.Background(), req)
		if err != nil {
			return "", err
		}
		ranOn = resp.GetEnvironment().GetContainerImage()
		out, _ := os.ReadFile(filepath.Join(build, "stdout"))
		if resp.ExitCode != 0 {
			errOut, _ := os.ReadFile(filepath.Join(build, "stderr"))
			t.Errorf("%s: exit %d: %s", image, resp.ExitCode, errOut)
		}
		return string(out), nil
	}
	out, err := run("docker://" + pinned.String())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "ID=busybox") {
		t.Errorf("busybox image: os-release %q", out)
	}
	if ranOn != "docker://"+pinned.String() {
		t.Errorf("busybox run reported image %q, want %q", ranOn, "docker://"+pinned.String())
	}
	host, err := run("none")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(host, "ID=busybox") {
		t.Errorf("default rootfs shows the busybox image: %q", host)
	}
	if ranOn != "" {
		t.Errorf("default rootfs run reported image %q", ranOn)
	}
	out, err = run("docker://" + second.String())
	if err != nil {
		t.Fatal(err)
	}
	if out != "ID=second\nno-ls\n" {
		t.Errorf("second image: %q", out)
	}

	// Offline provisioning: a `docker save` tarball imported into the
	// store serves an action naming a registry nobody can reach.
	offline, err := rt.Layer(rt.File("etc/os-release", "ID=offline\n"))
	if err != nil {
		t.Fatal(err)
	}
	offlineImg, err := mutate.AppendLayers(rt.BusyboxOrSkip(t), offline)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag("registry.invalid/offline/busybox:1.0")
	if err != nil {
		t.Fatal(err)
	}
	saved := filepath.Join(t.TempDir(), "offline.tar")
	f, err := os.Create(saved)
	if err != nil {
		t.Fatal(err)
	}
	if err := tarball.Write(tag, offlineImg, f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := store.Import(context.Background(), saved); err != nil {
		t.Fatal(err)
	}
	out, err = run("docker://registry.invalid/offline/busybox:1.0")
	if err != nil {
		t.Fatal(err)
	}
	if out != "ID=offline\n" {
		t.Errorf("imported image: %q", out)
	}
}

func openStore(t *testing.T, dir string) *rootfs.Store {
	t.Helper()
	s, err := rootfs.Open(rootfs.Config{Directory: dir, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
