package e2e

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sandbarn/sandbarn/rootfs/registrytest"
	testimages "github.com/sandbarn/sandbarn/test/images"
	"github.com/sandbarn/sandbarn/test/testenv"
)

// imagesNotConfigured matches the farm's refusal of container-image while
// no image store is wired into its runner.
var imagesNotConfigured = regexp.MustCompile(`(?i)(no images configured|images are not configured)`)

// debootstrapTimeout bounds the first, uncached build of the bookworm tree.
const debootstrapTimeout = 10 * time.Minute

// TestTwoImages builds two genrules on `sandbarn farm` whose
// exec_properties name two images served by a registry inside this test
// process: busybox and Debian bookworm. Each records /etc/os-release, which
// must be that of its own image. The bookworm tree comes from debootstrap
// and is cached between runs (see test/images).
func TestTwoImages(t *testing.T) {
	t.Parallel()
	bazelBin := requireBazel(t)
	if os.Getuid() != 0 {
		testenv.SkipOrFail(t, "building the bookworm test image with debootstrap needs root")
	}
	base := testenv.TempDir(t, "sandbarn-e2e-images-")
	reg := registrytest.New()
	t.Cleanup(reg.Close)
	busybox := pushTestImage(t, reg, "test/busybox", busyboxImage(t, base))
	bookworm := pushTestImage(t, reg, "test/bookworm", bookwormImage(t))
	t.Logf("images: %s and %s", busybox, bookworm)

	f := startFarm(t, buildProgram(t, "sandbarn", base), base)
	ws := newImagesWorkspace(t, base, busybox, bookworm)
	bz := newBazel(t, bazelBin, ws, base, "images")
	flags := f.bazelFlags()
	execLog := filepath.Join(base, "images-exec-log.json")
	r := bz.run("build", append(flags, "--execution_log_json_file="+execLog, "//os:all")...)
	if r.exitCode != 0 && imagesNotConfigured.MatchString(r.output) {
		testenv.SkipOrFail(t, "the farm's runner refuses container-image (no image store wired in yet):\n%s", testenv.Tail(r.output))
	}
	if r.exitCode != 0 {
		t.Fatalf("bazel build //os:all failed with exit code %d; output:\n%s", r.exitCode, testenv.Tail(r.output))
	}
	requireAllRemote(t, readExecLog(t, execLog))
	bin := bz.info("bazel-bin", flags...)
	requireOSRelease(t, filepath.Join(bin, "os", "busybox-os-release.txt"), "ID=busybox")
	requireOSRelease(t, filepath.Join(bin, "os", "bookworm-os-release.txt"), "VERSION_CODENAME=bookworm")
}

// pushTestImage uploads img as repo:latest and returns the digest
// reference an action names it by, with the docker:// scheme.
func pushTestImage(t *testing.T, reg *registrytest.Registry, repo string, img v1.Image) string {
	t.Helper()
	d, err := reg.Push(repo+":latest", img)
	if err != nil {
		t.Fatalf("pushing %s: %v", repo, err)
	}
	return "docker://" + d.String()
}

func busyboxImage(t *testing.T, base string) v1.Image {
	t.Helper()
	if _, err := os.Stat(testimages.BusyboxBinary); err != nil {
		testenv.SkipOrFail(t, "busybox-static is not installed (apt-get install -y busybox-static): %v", err)
	}
	img, err := testimages.BusyboxImage(filepath.Join(base, "busybox-rootfs"))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// bookwormImage is the cached debootstrap image; a machine that cannot
// run debootstrap (no package, no mirror) skips, or fails in CI.
func bookwormImage(t *testing.T) v1.Image {
	t.Helper()
	cache, err := testimages.CacheDir()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), debootstrapTimeout)
	defer cancel()
	start := time.Now()
	img, err := testimages.BookwormMinbase.Image(ctx, cache)
	if err != nil {
		testenv.SkipOrFail(t, "cannot build the bookworm test image (needs debootstrap and deb.debian.org): %v", err)
	}
	t.Logf("bookworm image ready in %v (cache %s)", time.Since(start).Round(time.Millisecond), cache)
	return img
}

// newImagesWorkspace copies testdata/images-workspace and writes its
// os/BUILD naming the two images.
func newImagesWorkspace(t *testing.T, base, busybox, bookworm string) *workspace {
	t.Helper()
	for _, dir := range []string{"images-workspace", "bazel-offline"} {
		if err := os.CopyFS(filepath.Join(base, dir), os.DirFS(filepath.Join("testdata", dir))); err != nil {
			t.Fatalf("copying testdata/%s: %v", dir, err)
		}
	}
	w := &workspace{dir: filepath.Join(base, "images-workspace")}
	w.writeOfflineRC(t, filepath.Join(base, "bazel-offline"))
	tmpl, err := os.ReadFile(filepath.Join(w.dir, "os", "BUILD.template"))
	if err != nil {
		t.Fatal(err)
	}
	build := strings.NewReplacer("@BUSYBOX_IMAGE@", busybox, "@BOOKWORM_IMAGE@", bookworm).Replace(string(tmpl))
	w.write(t, "os/BUILD", build)
	return w
}

// requireOSRelease checks that an action's output is the os-release of
// the image it should have run on.
func requireOSRelease(t *testing.T, path, want string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("output of the action: %v", err)
	}
	if !strings.Contains(string(b), want) {
		t.Errorf("%s does not contain %q, so the action did not run on its image:\n%s", filepath.Base(path), want, b)
	}
}
