package rootfs_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/sandbarn/sandbarn/errkind"
	"github.com/sandbarn/sandbarn/rootfs"
	rt "github.com/sandbarn/sandbarn/rootfs/registrytest"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func openStore(t *testing.T, cfg rootfs.Config) *rootfs.Store {
	t.Helper()
	if cfg.Directory == "" {
		cfg.Directory = t.TempDir()
	}
	if cfg.Logger == nil {
		cfg.Logger = quietLogger()
	}
	s, err := rootfs.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fileImage is a small image with one file whose content tells images apart.
func fileImage(t *testing.T, label string, size int) v1.Image {
	t.Helper()
	body := append([]byte(label), bytes.Repeat([]byte{'.'}, size)...)
	l, err := rt.Layer(rt.Dir("etc"), rt.File("etc/os-release", "ID="+label+"\n"), rt.File("data", string(body)))
	if err != nil {
		t.Fatal(err)
	}
	img, err := rt.Image(l)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestPullByTagAndDigest(t *testing.T) {
	reg := rt.New()
	defer reg.Close()
	pinned := reg.PushOrFail(t, "test/busybox:latest", rt.BusyboxOrSkip(t))
	s := openStore(t, rootfs.Config{})

	tree, err := s.Acquire(context.Background(), "docker://"+reg.Host+"/test/busybox:latest")
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Release()
	if tree.Reference != pinned.String() {
		t.Errorf("reference %q, want %q", tree.Reference, pinned)
	}
	if b, err := os.ReadFile(filepath.Join(tree.Path, "etc/os-release")); err != nil || !strings.Contains(string(b), "busybox") {
		t.Errorf("os-release: %q, %v", b, err)
	}
	for _, p := range []string{"bin/busybox", "proc", "dev", "tmp", "sandbarn/root"} {
		if _, err := os.Stat(filepath.Join(tree.Path, p)); err != nil {
			t.Error(err)
		}
	}

	reg.Reset()
	byDigest, err := s.Acquire(context.Background(), "docker://"+pinned.String())
	if err != nil {
		t.Fatal(err)
	}
	defer byDigest.Release()
	if byDigest.Path != tree.Path {
		t.Errorf("by digest %s, by tag %s: want the same tree", byDigest.Path, tree.Path)
	}
	if n := reg.Requests("GET manifests") + reg.Requests("GET blobs"); n != 0 {
		t.Errorf("%d registry requests for an image already stored", n)
	}

	// The tag stays pinned: pushing a new image under it changes nothing
	// for this store.
	reg.PushOrFail(t, "test/busybox:latest", fileImage(t, "other", 10))
	again, err := s.Acquire(context.Background(), reg.Host+"/test/busybox:latest")
	if err != nil {
		t.Fatal(err)
	}
	again.Release()
	if again.Reference != pinned.String() {
		t.Errorf("tag re-resolved to %s", again.Reference)
	}
}

func TestDefaultAndLocalDirectories(t *testing.T) {
	local := t.TempDir()
	s := openStore(t, rootfs.Config{LocalDirectories: map[string]string{"gcr.io/rbe/debian8@sha256:" + strings.Repeat("a", 64): local}})
	for _, v := range []string{"", "none"} {
		if tree, err := s.Acquire(context.Background(), v); tree != nil || err != nil {
			t.Errorf("%q: %v, %v; want nil, nil", v, tree, err)
		}
	}
	tree, err := s.Acquire(context.Background(), "docker://gcr.io/rbe/debian8@sha256:"+strings.Repeat("a", 64))
	if err != nil || tree.Path != local {
		t.Fatalf("got %v, %v; want %s", tree, err, local)
	}
	if _, err := s.Acquire(context.Background(), "oci://x/y"); !errkind.Is(err, errkind.Invalid) {
		t.Errorf("other scheme: %v", err)
	}
}

func TestConcurrentAcquiresPullOnce(t *testing.T) {
	reg := rt.New()
	defer reg.Close()
	reg.PushOrFail(t, "test/busybox:v1", rt.BusyboxOrSkip(t))
	reg.Reset()
	s := openStore(t, rootfs.Config{})
	var wg sync.WaitGroup
	trees := make([]*rootfs.Tree, 10)
	errs := make([]error, 10)
	for i := range trees {
		wg.Add(1)
		go func() {
			defer wg.Done()
			trees[i], errs[i] = s.Acquire(context.Background(), "docker://"+reg.Host+"/test/busybox:v1")
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
		if trees[i].Path != trees[0].Path {
			t.Errorf("tree %d at %s, tree 0 at %s", i, trees[i].Path, trees[0].Path)
		}
		trees[i].Release()
	}
	if n := reg.Requests("GET manifests"); n != 1 {
		t.Errorf("%d manifest fetches, want 1", n)
	}
	if n := reg.Requests("GET blobs"); n != 1 {
		t.Errorf("%d blob fetches for a one-layer image, want 1", n)
	}
}

func TestUnavailableImagesFailWithReason(t *testing.T) {
	reg := rt.New()
	defer reg.Close()
	denied := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			return
		}
		http.Error(w, `{"errors":[{"code":"DENIED","message":"no"}]}`, http.StatusForbidden)
	}))
	defer denied.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedHost := strings.TrimPrefix(closed.URL, "http://")
	closed.Close()
	evil, err := rt.Layer(rt.Symlink("etc", "/etc"), rt.File("etc/evil", "x"))
	if err != nil {
		t.Fatal(err)
	}
	evilImg, err := rt.Image(evil)
	if err != nil {
		t.Fatal(err)
	}
	reg.PushOrFail(t, "test/evil:latest", evilImg)
	s := openStore(t, rootfs.Config{})

	for value, reason := range map[string]string{
		"docker://" + reg.Host + "/test/missing:latest":                                 "pull: not found",
		"docker://" + strings.TrimPrefix(denied.URL, "http://") + "/test/secret:latest": "pull: unauthorized",
		"docker://" + closedHost + "/test/busybox:latest":                               "pull: network",
		"docker://" + reg.Host + "/test/evil:latest":                                    `unpack: unusable image: layer 0: entry "etc/evil": goes through symbolic link "etc"`,
	} {
		_, err := s.Acquire(context.Background(), value)
		// The message is what the action's client reads after the
		// runner's edge maps the kind: the image first, then why.
		if !errkind.Is(err, errkind.Precondition) || !strings.Contains(err.Error(), reason) || !strings.HasPrefix(err.Error(), fmt.Sprintf("container-image %q: ", value)) {
			t.Errorf("%s: got %v; want FailedPrecondition naming the image, the phase and %q", value, err, reason)
		}
	}
	if images, _ := s.List(); len(images) != 0 {
		t.Errorf("failed pulls left %d images", len(images))
	}
}

func TestEvictionLeastRecentlyUsedNeverInUse(t *testing.T) {
	reg := rt.New()
	defer reg.Close()
	for _, n := range []string{"a", "b", "c"} {
		reg.PushOrFail(t, "test/"+n+":latest", fileImage(t, n, 300_000))
	}
	ref := func(n string) string { return "docker://" + reg.Host + "/test/" + n + ":latest" }
	// Room for two trees but not three.
	probe := openStore(t, rootfs.Config{})
	pt, err := probe.Acquire(context.Background(), ref("a"))
	if err != nil {
		t.Fatal(err)
	}
	pt.Release()
	images, _ := probe.List()
	one := images[0].SizeBytes

	s := openStore(t, rootfs.Config{SizeLimitBytes: 2*one + one/2})
	acquire := func(n string) *rootfs.Tree {
		t.Helper()
		tree, err := s.Acquire(context.Background(), ref(n))
		if err != nil {
			t.Fatal(err)
		}
		return tree
	}
	a := acquire("a")
	b := acquire("b")
	b.Release()
	a.Release() // a is now the most recently used
	c := acquire("c")
	if _, err := os.Stat(b.Path); !os.IsNotExist(err) {
		t.Errorf("least recently used b was not evicted: %v", err)
	}
	if _, err := os.Stat(a.Path); err != nil {
		t.Errorf("a was evicted: %v", err)
	}
	// Pulling b again with c in use evicts only the unused a.
	d := acquire("b")
	if _, err := os.Stat(c.Path); err != nil {
		t.Errorf("c was evicted while in use: %v", err)
	}
	if _, err := os.Stat(d.Path); err != nil {
		t.Errorf("b was evicted while in use: %v", err)
	}
	if _, err := os.Stat(a.Path); !os.IsNotExist(err) {
		t.Errorf("a was not evicted: %v", err)
	}
	// All three in use: the store goes over its limit rather than evict.
	e := acquire("a")
	for _, tree := range []*rootfs.Tree{c, d, e} {
		if _, err := os.Stat(tree.Path); err != nil {
			t.Errorf("evicted while in use: %v", err)
		}
	}
	c.Release()
	d.Release()
	e.Release()
	// Released, the store shrinks back under its limit.
	if images, _ := s.List(); len(images) != 2 {
		t.Errorf("%d images after release, want 2", len(images))
	}
}

func TestImportDockerSaveTarballThenAcquire(t *testing.T) {
	tag, err := name.NewTag("gcr.io/offline/busybox:1.0")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "busybox.tar")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := tarball.Write(tag, rt.BusyboxOrSkip(t), f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	dir := t.TempDir()
	refs, err := openStore(t, rootfs.Config{Directory: dir}).Import(context.Background(), file)
	if err != nil {
		t.Fatal(err)
	}
	// A new store on the same directory, as the runner after `sandbarn
	// image import`, with no registry reachable.
	s := openStore(t, rootfs.Config{Directory: dir})
	for _, v := range []string{"docker://gcr.io/offline/busybox:1.0", "docker://" + refs[0]} {
		tree, err := s.Acquire(context.Background(), v)
		if err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		if _, err := os.Stat(filepath.Join(tree.Path, "bin/busybox")); err != nil {
			t.Error(err)
		}
		tree.Release()
	}
}

func TestRemove(t *testing.T) {
	reg := rt.New()
	defer reg.Close()
	reg.PushOrFail(t, "test/a:latest", fileImage(t, "a", 10))
	s := openStore(t, rootfs.Config{})
	v := "docker://" + reg.Host + "/test/a:latest"
	tree, err := s.Acquire(context.Background(), v)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(v); !errkind.Is(err, errkind.Precondition) {
		t.Errorf("removing an image in use: %v", err)
	}
	tree.Release()
	if err := s.Remove(v); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tree.Path); !os.IsNotExist(err) {
		t.Errorf("tree still there: %v", err)
	}
	if err := s.Remove(v); !errkind.Is(err, errkind.NotFound) {
		t.Errorf("removing again: %v", err)
	}
}
