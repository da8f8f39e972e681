package container

import (
	"context"
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"

	runnerpb "github.com/sandbarn/sandbarn/proto/runner"
	testimages "github.com/sandbarn/sandbarn/test/images"
	"github.com/sandbarn/sandbarn/test/testenv"
)

// testImage is a root filesystem served as a container-image, and how an
// action shows that it ran there: the command writes text to a file in
// the input root and to stdout and exits with a code, all chosen per
// action.
type testImage struct {
	ref     string
	build   func(dir string) error
	command func(code int, text, file string) []string
}

// shellCommand runs in trees with busybox's sh; it also reports a marker
// left in the container's /tmp by anything that ran there before it.
func shellCommand(code int, text, file string) []string {
	script := fmt.Sprintf("test -e /tmp/%s && echo MARKER-SEEN; echo %s > %s; echo %s; exit %d",
		testimages.HostileMarker, text, file, text, code)
	return []string{"/bin/sh", "-c", script}
}

func reportCommand(code int, text, file string) []string {
	return []string{testimages.ReportProgram, strconv.Itoa(code), text, file}
}

var libcImages = []testImage{
	{"docker://test.invalid/busybox@sha256:1", testimages.Busybox, shellCommand},
	{"docker://test.invalid/musl@sha256:2", testimages.Musl, reportCommand},
	{"docker://test.invalid/glibc@sha256:3", testimages.Glibc, reportCommand},
	{"docker://test.invalid/hostile@sha256:4", testimages.Hostile, shellCommand},
}

// hostImage is the default rootfs, mixed in with the images.
var hostImage = testImage{"", nil, shellCommand}

// TestPreparedContainersOnAnyLibc runs actions back to back and
// concurrently on images with no C library, musl, glibc, and a hostile
// loader, mixed with actions on the host rootfs. Every action must give
// its own exit code and outputs in a prepared container (the counters
// prove the fallback never hid a fault), the hostile loader must never
// run, and the inits started must need nothing from the image.
func TestPreparedContainersOnAnyLibc(t *testing.T) {
	if os.Getenv("SANDBARN_TEST_ONESHOT") == "1" {
		t.Skip("tests prepared containers")
	}
	if err := SelfContained(selfExecutable); err != nil {
		testenv.SkipOrFail(t, "the test binary must be linked statically as `make test` links it: %v", err)
	}
	images := buildTestImages(t)
	const slots = 8
	r, build := newTestRunner(t, func(c *Config) {
		c.PrepareInputRoots = nil
		host := HostRootfs(filepath.Join(c.StateDirectory, "hostroot"))
		c.Rootfs = func(ctx context.Context, image string) (Rootfs, error) {
			if dir, ok := images[image]; ok {
				return Rootfs{Path: dir, Reference: image}, nil
			}
			return host(ctx, image)
		}
	})
	roots := makeInputRoots(t, build, slots)
	keys := map[poolKey]bool{}
	for _, img := range libcImages {
		t.Run(imageName(img), func(t *testing.T) {
			// Back to back in one input root: 100 on the image, every
			// tenth action on the host rootfs.
			for i := 0; i < 111; i++ {
				runImageAction(t, r, roots[0], pick(img, i, 10), i)
			}
			keys[poolKey{inputRoot: filepath.Join(build, roots[0]), image: img.ref}] = true
			// 8 clients at once, 25 image actions each (200 in all),
			// every fifth action on the host rootfs.
			var wg sync.WaitGroup
			for c := 0; c < slots; c++ {
				keys[poolKey{inputRoot: filepath.Join(build, roots[c]), image: img.ref}] = true
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < 31; i++ {
						runImageAction(t, r, roots[c], pick(img, i, 5), i)
					}
				}()
			}
			wg.Wait()
			requireInitsSelfContained(t, r)
		})
	}
	for _, root := range roots {
		keys[poolKey{inputRoot: filepath.Join(build, root)}] = true
	}
	st := r.Stats()
	if st.PrepareFailures != 0 || st.ColdRuns != uint64(len(keys)) {
		t.Errorf("%+v: want no failed preparation and a container created only for the first action of each of the %d image and input root pairs", st, len(keys))
	}
	t.Logf("%+v", st)
}

// pick returns the host rootfs for every n-th action, else img.
func pick(img testImage, i, n int) testImage {
	if i%n == n-1 {
		return hostImage
	}
	return img
}

func imageName(img testImage) string {
	if img.ref == "" {
		return "host"
	}
	name := strings.TrimPrefix(img.ref, "docker://test.invalid/")
	return name[:strings.Index(name, "@")]
}

// buildTestImages makes each image's tree where sandbox users can reach
// it, keyed by reference.
func buildTestImages(t *testing.T) map[string]string {
	t.Helper()
	base := testenv.TempDir(t, "sandbarn-images-")
	dirs := map[string]string{}
	for _, img := range libcImages {
		dir := filepath.Join(base, imageName(img))
		if err := img.build(dir); err != nil {
			testenv.SkipOrFail(t, "test image %s: %v", imageName(img), err)
		}
		// The mount point an image store adds to every tree it unpacks.
		if err := os.MkdirAll(filepath.Join(dir, InputRootPath), 0o755); err != nil {
			t.Fatal(err)
		}
		dirs[img.ref] = dir
	}
	return dirs
}

// makeInputRoots creates n input roots that anyone may write to, so that
// the hostile loader, whichever uid it ran as, would leave its marker.
func makeInputRoots(t *testing.T, build string, n int) []string {
	t.Helper()
	roots := []string{"root"}
	for i := 1; i < n; i++ {
		roots = append(roots, fmt.Sprintf("slot%d/root", i))
	}
	for _, rel := range roots {
		dir := filepath.Join(build, rel)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Dir(dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return roots
}

// runImageAction runs action i on img in input root rel and checks its
// exit code, stdout and output file, and that no marker appeared.
func runImageAction(t *testing.T, r *Runner, rel string, img testImage, i int) {
	t.Helper()
	text := fmt.Sprintf("%s-%s-%d", imageName(img), strings.ReplaceAll(rel, "/", "-"), i)
	code := i % 7
	slot := filepath.Dir(rel)
	req := &runnerpb.RunRequest{
		Arguments:            img.command(code, text, "out.txt"),
		EnvironmentVariables: map[string]string{"PATH": "/bin:/usr/bin"},
		StdoutPath:           filepath.Join(slot, "stdout"),
		StderrPath:           filepath.Join(slot, "stderr"),
		InputRootDirectory:   rel,
		Platform:             &remoteexecution.Platform{},
		Timeout:              durationpb.New(time.Minute),
	}
	if img.ref != "" {
		req.Platform.Properties = []*remoteexecution.Platform_Property{{Name: imageProperty, Value: img.ref}}
	}
	build := r.cfg.BuildDirectory
	// As a worker would, the input root starts without the last
	// action's output.
	os.Remove(filepath.Join(build, rel, "out.txt"))
	resp, err := r.Run(context.Background(), req)
	if err != nil {
		t.Errorf("action %s: %v", text, err)
		return
	}
	stdout, _ := os.ReadFile(filepath.Join(build, slot, "stdout"))
	stderr, _ := os.ReadFile(filepath.Join(build, slot, "stderr"))
	out, _ := os.ReadFile(filepath.Join(build, rel, "out.txt"))
	if resp.ExitCode != int64(code) || string(stdout) != text+"\n" || string(out) != text+"\n" {
		t.Errorf("action %s: exit %d (want %d), stdout %q, out.txt %q, stderr %q", text, resp.ExitCode, code, stdout, out, stderr)
	}
	if _, err := os.Stat(filepath.Join(build, rel, testimages.HostileMarker)); err == nil {
		t.Errorf("action %s: the image's loader ran and left its marker in the input root", text)
	}
	if img.ref != "" && resp.GetEnvironment().GetContainerImage() != img.ref {
		t.Errorf("action %s: ran on %q", text, resp.GetEnvironment().GetContainerImage())
	}
}

// requireInitsSelfContained reads the ELF headers of the executable of
// every prepared container's init, as the kernel started it.
func requireInitsSelfContained(t *testing.T, r *Runner) {
	t.Helper()
	r.pool.background.Wait()
	pids := r.pool.initPIDs()
	if len(pids) == 0 {
		t.Fatal("no prepared container to look at")
	}
	for _, pid := range pids {
		exe := fmt.Sprintf("/proc/%d/exe", pid)
		f, err := elf.Open(exe)
		if err != nil {
			t.Fatalf("init %d: %v", pid, err)
		}
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Errorf("init %d runs %s, which has an ELF interpreter", pid, exe)
			}
		}
		if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
			t.Errorf("init %d runs %s, which needs shared libraries %v", pid, exe, libs)
		}
		f.Close()
	}
}
