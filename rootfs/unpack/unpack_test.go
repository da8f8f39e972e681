package unpack_test

import (
	"archive/tar"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-containerregistry/pkg/compression"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	rt "github.com/sandbarn/sandbarn/rootfs/registrytest"
	"github.com/sandbarn/sandbarn/rootfs/unpack"
)

func image(t *testing.T, layers ...[]rt.Entry) v1.Image {
	t.Helper()
	var ls []v1.Layer
	for i, entries := range layers {
		c := compression.GZip
		if i%2 == 1 {
			c = compression.ZStd // both codecs in every multi-layer test
		}
		l, err := rt.LayerWith(c, entries...)
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
	}
	img, err := rt.Image(ls...)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func opts() unpack.Options {
	return unpack.Options{Chown: os.Geteuid() == 0, FirstHostUID: 1_000_000_000, UIDCount: 65536}
}

func unpackInto(t *testing.T, img v1.Image) (string, error) {
	t.Helper()
	dir := t.TempDir()
	// Images may hold read-only directories, which only root could
	// otherwise clean up.
	t.Cleanup(func() {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				os.Chmod(p, 0o755)
			}
			return nil
		})
	})
	return dir, unpack.Image(context.Background(), img, dir, opts())
}

func exists(dir, p string) bool {
	_, err := os.Lstat(filepath.Join(dir, p))
	return err == nil
}

func TestLayersWhiteoutsAndOpaqueDirectories(t *testing.T) {
	img := image(t,
		[]rt.Entry{
			rt.Dir("a"), rt.File("a/keep", "1"), rt.File("a/gone", "2"),
			rt.Dir("o"), rt.File("o/lower", "3"), rt.Dir("o/sub"), rt.File("o/sub/deep", "4"),
			rt.File("replaced", "old"), rt.Dir("dir2file"), rt.File("dir2file/x", "5"),
		},
		[]rt.Entry{
			rt.File("a/.wh.gone", ""),
			rt.Dir("o"), rt.File("o/.wh..wh..opq", ""), rt.Dir("o/sub"), rt.File("o/sub/upper", "6"), rt.File("o/new", "7"),
			rt.File("replaced", "new"), rt.File("dir2file", "now a file"),
		},
	)
	dir, err := unpackInto(t, img)
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{
		"a/keep": true, "a/gone": false, "a/.wh.gone": false,
		"o/lower": false, "o/sub/deep": false, "o/sub/upper": true, "o/new": true, "o/.wh..wh..opq": false,
		"dir2file/x": false,
	} {
		if got := exists(dir, p); got != want {
			t.Errorf("%s exists = %v, want %v", p, got, want)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "replaced")); string(b) != "new" {
		t.Errorf("replaced = %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "dir2file")); string(b) != "now a file" {
		t.Errorf("dir2file = %q", b)
	}
}

func TestLinksModesAndOwnership(t *testing.T) {
	img := image(t, []rt.Entry{
		{Name: "bin/tool", Mode: 0o4755, Body: []byte("#!"), UID: 0, GID: 0},
		rt.Hardlink("bin/tool2", "bin/tool"),
		rt.Symlink("bin/sh", "/bin/tool"),
		{Name: "home/u/f", Mode: 0o600, Body: []byte("x"), UID: 1000, GID: 1000},
		{Name: "dev/null", Type: tar.TypeChar},
		{Name: "ro", Type: tar.TypeDir, Mode: 0o555},
		rt.File("ro/inside", "y"),
	})
	dir, err := unpackInto(t, img)
	if err != nil {
		t.Fatal(err)
	}
	tool, _ := os.Stat(filepath.Join(dir, "bin/tool"))
	if tool.Mode()&fs.ModeSetuid == 0 || tool.Mode().Perm() != 0o755 {
		t.Errorf("bin/tool mode %v, want setuid 0755", tool.Mode())
	}
	tool2, _ := os.Stat(filepath.Join(dir, "bin/tool2"))
	if !os.SameFile(tool, tool2) {
		t.Error("bin/tool2 is not a hard link of bin/tool")
	}
	if target, _ := os.Readlink(filepath.Join(dir, "bin/sh")); target != "/bin/tool" {
		t.Errorf("bin/sh -> %q", target)
	}
	if exists(dir, "dev/null") {
		t.Error("device node was created")
	}
	if ro, _ := os.Stat(filepath.Join(dir, "ro")); ro.Mode().Perm() != 0o555 {
		t.Errorf("ro mode %v", ro.Mode())
	}
	if os.Geteuid() != 0 {
		t.Log("not root: ownership mapping not checked")
		return
	}
	st, _ := os.Stat(filepath.Join(dir, "home/u/f"))
	sys := st.Sys().(*syscall.Stat_t)
	if sys.Uid != 1_000_001_000 || sys.Gid != 1_000_001_000 {
		t.Errorf("home/u/f owned by %d:%d, want 1000001000", sys.Uid, sys.Gid)
	}
	if sys := tool.Sys().(*syscall.Stat_t); sys.Uid != 1_000_000_000 {
		t.Errorf("bin/tool owned by %d", sys.Uid)
	}
}

func TestMaliciousLayersAreRejected(t *testing.T) {
	outside := t.TempDir()
	cases := map[string][][]rt.Entry{
		"dotdot":             {{rt.File("../escape", "x")}},
		"dotdot inside":      {{rt.Dir("a"), rt.File("a/../../escape", "x")}},
		"absolute":           {{rt.File("/etc/escape", "x")}},
		"symlink traversal":  {{rt.Symlink("link", outside), rt.File("link/escape", "x")}},
		"relative symlink":   {{rt.Symlink("up", "../.."), rt.File("up/escape", "x")}},
		"later layer":        {{rt.Symlink("link", outside)}, {rt.File("link/escape", "x")}},
		"hardlink outside":   {{rt.Hardlink("passwd", "../../../../etc/passwd")}},
		"hardlink absolute":  {{rt.Hardlink("passwd", "/etc/passwd")}},
		"hardlink via link":  {{rt.Symlink("etc", "/etc"), rt.Hardlink("passwd", "etc/passwd")}},
		"whiteout via link":  {{rt.Symlink("link", outside)}, {rt.File("link/.wh.victim", "")}},
		"opaque via link":    {{rt.Symlink("link", outside)}, {rt.File("link/.wh..wh..opq", "")}},
		"uid outside range":  {{{Name: "f", Body: []byte("x"), UID: 70000}}},
		"hardlink to dir":    {{rt.Dir("d"), rt.Hardlink("h", "d")}},
		"whiteout of self":   {{rt.File(".wh..", "")}},
		"whiteout of parent": {{rt.Dir("a"), rt.File("a/.wh...", "")}},
	}
	if err := os.WriteFile(filepath.Join(outside, "victim"), []byte("v"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, layers := range cases {
		t.Run(name, func(t *testing.T) {
			if name == "uid outside range" && os.Geteuid() != 0 {
				t.Skip("ownership is only mapped as root")
			}
			_, err := unpackInto(t, image(t, layers...))
			var entryErr *unpack.EntryError
			if !errors.As(err, &entryErr) {
				t.Fatalf("got %v, want an EntryError", err)
			}
			t.Log(err)
		})
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 1 {
		t.Errorf("outside directory changed: %d entries", len(entries))
	}
	if _, err := os.Stat("/etc/escape"); err == nil {
		t.Error("/etc/escape was written")
	}
}

func TestCancelStopsUnpack(t *testing.T) {
	img := image(t, []rt.Entry{{Name: "big", Body: []byte(strings.Repeat("x", 4<<20))}})
	ctx, cancel := context.WithCancel(context.Background())
	o := opts()
	o.Progress = func(layer int, bytes int64) {
		if bytes > 1<<20 {
			cancel()
		}
	}
	err := unpack.Image(ctx, img, t.TempDir(), o)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}
