package inputroot

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
	"github.com/sandbarn/sandbarn/storage/memory"
	"github.com/sandbarn/sandbarn/worker/filecache"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

type fixture struct {
	t   *testing.T
	cas *memory.BlobAccess
	p   *Populator
	dir string
}

func newFixture(t *testing.T) *fixture {
	dir := t.TempDir()
	cache, err := filecache.New(filepath.Join(dir, "cache"), 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	cas := memory.NewCAS()
	return &fixture{t: t, cas: cas, p: NewPopulator(cas, cache, 8, false), dir: dir}
}

func (f *fixture) blob(s string) *remoteexecution.Digest {
	d := digest.OfBytes("", []byte(s))
	if err := storage.PutBytes(context.Background(), f.cas, d, []byte(s)); err != nil {
		f.t.Fatal(err)
	}
	return d.Proto()
}

func (f *fixture) dirBlob(d *remoteexecution.Directory) *remoteexecution.Digest {
	dg, err := storage.PutProto(context.Background(), f.cas, "", d)
	if err != nil {
		f.t.Fatal(err)
	}
	return dg.Proto()
}

func (f *fixture) populate(root *remoteexecution.Digest) (string, error) {
	dst, err := os.MkdirTemp(f.dir, "root")
	if err != nil {
		f.t.Fatal(err)
	}
	return dst, f.p.Populate(context.Background(), "inst", remoteexecution.DigestFunction_SHA256, root, dst)
}

func TestPopulateBuildsTree(t *testing.T) {
	f := newFixture(t)
	sub := f.dirBlob(&remoteexecution.Directory{
		Files:    []*remoteexecution.FileNode{{Name: "tool", Digest: f.blob("#!/bin/sh\necho hi\n"), IsExecutable: true}},
		Symlinks: []*remoteexecution.SymlinkNode{{Name: "up", Target: "../a.txt"}},
	})
	root := f.dirBlob(&remoteexecution.Directory{
		Files: []*remoteexecution.FileNode{
			{Name: "a.txt", Digest: f.blob("aaa")},
			{Name: "empty", Digest: digest.OfBytes("", nil).Proto()},
		},
		Directories: []*remoteexecution.DirectoryNode{{Name: "bin", Digest: sub}, {Name: "bin2", Digest: sub}},
	})
	dst, err := f.populate(root)
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{"a.txt": "aaa", "bin/up": "aaa", "bin2/tool": "#!/bin/sh\necho hi\n", "empty": ""} {
		data, err := os.ReadFile(filepath.Join(dst, path))
		if err != nil || string(data) != want {
			t.Errorf("%s = %q, %v; want %q", path, data, err, want)
		}
	}
	info, _ := os.Stat(filepath.Join(dst, "bin", "tool"))
	if info.Mode().Perm()&0o111 == 0 {
		t.Errorf("tool is not executable: %v", info.Mode())
	}
	if target, _ := os.Readlink(filepath.Join(dst, "bin", "up")); target != "../a.txt" {
		t.Errorf("symlink target %q", target)
	}
	a, _ := os.Stat(filepath.Join(dst, "bin", "tool"))
	b, _ := os.Stat(filepath.Join(dst, "bin2", "tool"))
	if !os.SameFile(a, b) {
		t.Error("the same input is not hardlinked from one cached file")
	}
}

func TestPopulateRejectsInvalidTrees(t *testing.T) {
	f := newFixture(t)
	x := f.blob("x")
	loop := f.dirBlob(&remoteexecution.Directory{Symlinks: []*remoteexecution.SymlinkNode{{Name: "l", Target: "l"}}})
	toRoot := f.dirBlob(&remoteexecution.Directory{Symlinks: []*remoteexecution.SymlinkNode{{Name: "r", Target: ".."}, {Name: "z", Target: "r/.."}}})
	for name, dir := range map[string]*remoteexecution.Directory{
		"unsorted":        {Files: []*remoteexecution.FileNode{{Name: "b", Digest: x}, {Name: "a", Digest: x}}},
		"duplicate":       {Files: []*remoteexecution.FileNode{{Name: "a", Digest: x}, {Name: "a", Digest: x}}},
		"file and dir":    {Files: []*remoteexecution.FileNode{{Name: "a", Digest: x}}, Directories: []*remoteexecution.DirectoryNode{{Name: "a", Digest: loop}}},
		"dotdot":          {Files: []*remoteexecution.FileNode{{Name: "..", Digest: x}}},
		"slash":           {Files: []*remoteexecution.FileNode{{Name: "a/b", Digest: x}}},
		"absolute link":   {Symlinks: []*remoteexecution.SymlinkNode{{Name: "l", Target: "/etc/passwd"}}},
		"escaping link":   {Symlinks: []*remoteexecution.SymlinkNode{{Name: "l", Target: "a/../../x"}}},
		"link loop":       {Directories: []*remoteexecution.DirectoryNode{{Name: "d", Digest: loop}}},
		"escape via link": {Directories: []*remoteexecution.DirectoryNode{{Name: "d", Digest: toRoot}}},
		"bad digest":      {Files: []*remoteexecution.FileNode{{Name: "a", Digest: &remoteexecution.Digest{Hash: "xyz", SizeBytes: 1}}}},
	} {
		_, err := f.populate(f.dirBlob(dir))
		if status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: got %v, want InvalidArgument", name, err)
		}
	}
}

func TestPopulateAllowsLinksThatStayInside(t *testing.T) {
	f := newFixture(t)
	sub := f.dirBlob(&remoteexecution.Directory{Symlinks: []*remoteexecution.SymlinkNode{{Name: "r", Target: "../d"}, {Name: "z", Target: "r/../e"}}})
	root := f.dirBlob(&remoteexecution.Directory{Directories: []*remoteexecution.DirectoryNode{{Name: "d", Digest: sub}}})
	if _, err := f.populate(root); err != nil {
		t.Fatal(err)
	}
}

func TestPopulateReportsEveryMissingBlob(t *testing.T) {
	f := newFixture(t)
	missingFile := digest.OfBytes("", []byte("not uploaded")).Proto()
	missingDir := digest.OfBytes("", []byte("no such directory")).Proto()
	root := f.dirBlob(&remoteexecution.Directory{
		Files:       []*remoteexecution.FileNode{{Name: "f", Digest: missingFile}},
		Directories: []*remoteexecution.DirectoryNode{{Name: "d", Digest: missingDir}},
	})
	_, err := f.populate(root)
	if status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("got %v, want FailedPrecondition", err)
	}
	var subjects []string
	for _, d := range status.Convert(err).Details() {
		if pf, ok := d.(*errdetails.PreconditionFailure); ok {
			for _, v := range pf.Violations {
				if v.Type != "MISSING" {
					t.Errorf("violation type %q", v.Type)
				}
				subjects = append(subjects, v.Subject)
			}
		}
	}
	want := map[string]bool{"blobs/" + missingDir.Hash + "/17": true, "blobs/" + missingFile.Hash + "/12": true}
	if len(subjects) != 2 || !want[subjects[0]] || !want[subjects[1]] {
		t.Fatalf("subjects %v, want %v", subjects, want)
	}

	_, err = f.populate(f.dirBlob(&remoteexecution.Directory{Files: []*remoteexecution.FileNode{{Name: "f", Digest: missingFile}, {Name: "g", Digest: missingFile}}}))
	if !strings.Contains(status.Convert(err).Message(), missingFile.Hash) {
		t.Fatalf("missing file not named: %v", err)
	}
}

// A few hundred bytes of Directory messages that expand to 2^40 entries
// are refused before anything is created.
func TestPopulateRefusesTreesThatExpandWithoutBound(t *testing.T) {
	f := newFixture(t)
	d := f.dirBlob(&remoteexecution.Directory{Files: []*remoteexecution.FileNode{{Name: "f", Digest: f.blob("x")}}})
	for i := 0; i < 40; i++ {
		d = f.dirBlob(&remoteexecution.Directory{Directories: []*remoteexecution.DirectoryNode{
			{Name: "a", Digest: d}, {Name: "b", Digest: d},
		}})
	}
	dst, err := f.populate(d)
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "expands to more than") {
		t.Fatalf("got %v, want InvalidArgument for the expanding tree", err)
	}
	if entries, _ := os.ReadDir(dst); len(entries) != 0 {
		t.Fatalf("created %d entries before refusing", len(entries))
	}
}
