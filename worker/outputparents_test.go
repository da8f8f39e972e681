package worker

import (
	"os"
	"path/filepath"
	"testing"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Output parents are created as real directories only: an input symlink
// (allowed to point outside with allowExternalSymlinks) must not make the
// worker create directories where it points.
func TestOutputParentsDoNotFollowSymlinks(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(root, "out")); err != nil {
		t.Fatal(err)
	}
	err := createOutputParents(root, &remoteexecution.Command{OutputFiles: []string{"out/x/y"}})
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("got %v, want InvalidArgument", err)
	}
	if _, err := os.Stat(filepath.Join(outside, "x")); !os.IsNotExist(err) {
		t.Fatalf("a directory was created through the symlink: %v", err)
	}
	if err := createOutputParents(root, &remoteexecution.Command{OutputFiles: []string{"real/x/y"}}); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(filepath.Join(root, "real", "x")); err != nil || !info.IsDir() {
		t.Fatalf("parents not created: %v", err)
	}
}
