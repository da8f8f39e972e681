package outputs

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
	"github.com/sandbarn/sandbarn/storage/memory"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func write(t *testing.T, path, data string, perm os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), perm); err != nil {
		t.Fatal(err)
	}
}

func TestCollectOutputPathsAndUpload(t *testing.T) {
	root := t.TempDir()
	wd := filepath.Join(root, "work")
	write(t, filepath.Join(wd, "bin", "tool"), "exe", 0o755)
	write(t, filepath.Join(wd, "out", "a.txt"), "same", 0o644)
	write(t, filepath.Join(wd, "out", "sub1", "b.txt"), "same", 0o644)
	write(t, filepath.Join(wd, "out", "sub2", "b.txt"), "same", 0o644)
	os.Symlink("a.txt", filepath.Join(wd, "out", "link"))
	os.Symlink("bin/tool", filepath.Join(wd, "toollink"))

	cmd := &remoteexecution.Command{WorkingDirectory: "work", OutputPaths: []string{"bin/tool", "out", "toollink", "never/made"}}
	blobs := NewBlobSet("inst", remoteexecution.DigestFunction_SHA256)
	result := &remoteexecution.ActionResult{}
	if err := Collect(blobs, root, cmd, result); err != nil {
		t.Fatal(err)
	}
	if len(result.OutputFiles) != 1 || !result.OutputFiles[0].IsExecutable || result.OutputFiles[0].Path != "bin/tool" {
		t.Fatalf("output files %v", result.OutputFiles)
	}
	if len(result.OutputSymlinks) != 1 || result.OutputSymlinks[0].Target != "bin/tool" || len(result.OutputFileSymlinks) != 0 {
		t.Fatalf("output symlinks %v / %v", result.OutputSymlinks, result.OutputFileSymlinks)
	}
	if len(result.OutputDirectories) != 1 {
		t.Fatalf("output directories %v", result.OutputDirectories)
	}

	cas := memory.NewCAS()
	ctx := context.Background()
	// The CAS already has one blob: it must not be sent again.
	storage.PutBytes(ctx, cas, digest.OfBytes("", []byte("exe")), []byte("exe"))
	sent, err := blobs.Upload(ctx, cas, 4)
	if err != nil {
		t.Fatal(err)
	}
	// "same" file content, tree, and nothing else: sub1 and sub2 are one
	// Directory, and "exe" was present.
	if sent != 2 {
		t.Fatalf("uploaded %d blobs, want 2", sent)
	}
	treeDigest, _ := digest.FromProto("", 0, result.OutputDirectories[0].TreeDigest)
	tree := &remoteexecution.Tree{}
	if err := storage.GetProto(ctx, cas, treeDigest, 1<<20, tree); err != nil {
		t.Fatal(err)
	}
	r := tree.Root
	if len(r.Files) != 1 || r.Files[0].Name != "a.txt" || len(r.Directories) != 2 || len(r.Symlinks) != 1 || len(tree.Children) != 1 {
		t.Fatalf("tree %v", tree)
	}
}

func TestCollectLegacyOutputs(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "f"), "x", 0o644)
	os.MkdirAll(filepath.Join(root, "d"), 0o755)
	os.Symlink("d", filepath.Join(root, "dl"))
	blobs := NewBlobSet("", 0)
	result := &remoteexecution.ActionResult{}
	cmd := &remoteexecution.Command{OutputFiles: []string{"f"}, OutputDirectories: []string{"d", "dl"}}
	if err := Collect(blobs, root, cmd, result); err != nil {
		t.Fatal(err)
	}
	if len(result.OutputFiles) != 1 || len(result.OutputDirectories) != 1 || len(result.OutputDirectorySymlinks) != 1 {
		t.Fatalf("result %v", result)
	}
	for _, cmd := range []*remoteexecution.Command{
		{OutputFiles: []string{"d"}},
		{OutputDirectories: []string{"f"}},
		{OutputFiles: []string{"../escape"}},
	} {
		if err := Collect(blobs, root, cmd, &remoteexecution.ActionResult{}); status.Code(err) != codes.InvalidArgument {
			t.Errorf("%v: got %v, want InvalidArgument", cmd, err)
		}
	}
}

// An action that replaces an output's parent directory with a symlink out
// of the input root must not get the worker to read what it points at.
func TestCollectRefusesParentsThatAreSymlinks(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	write(t, filepath.Join(outside, "secret"), "host data", 0o600)
	if err := os.Symlink(outside, filepath.Join(root, "out")); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []*remoteexecution.Command{
		{OutputPaths: []string{"out/secret"}},
		{OutputFiles: []string{"out/secret"}},
		{OutputDirectories: []string{"out/sub"}},
	} {
		blobs := NewBlobSet("", remoteexecution.DigestFunction_SHA256)
		result := &remoteexecution.ActionResult{}
		err := Collect(blobs, root, cmd, result)
		if status.Code(err) != codes.InvalidArgument {
			t.Errorf("%v: got %v, want InvalidArgument", cmd, err)
		}
		if len(result.OutputFiles) != 0 {
			t.Errorf("%v: collected %v from outside the input root", cmd, result.OutputFiles)
		}
	}
}
