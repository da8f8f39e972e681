package grpcservers

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sandbarn/sandbarn/storage/digest"
)

const testHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

func TestParseReadResourceName(t *testing.T) {
	good := map[string]string{
		"blobs/" + testHash + "/0":             "",
		"main/blobs/" + testHash + "/12":       "main",
		"a/b/c/blobs/" + testHash + "/12":      "a/b/c",
		"a/b/blobs/sha256/" + testHash + "/12": "a/b",
	}
	for name, instance := range good {
		n, err := parseReadResourceName(name)
		if err != nil {
			t.Errorf("%q: %v", name, err)
			continue
		}
		if n.digest.Instance != instance || n.digest.Hash != testHash {
			t.Errorf("%q: got instance %q hash %q", name, n.digest.Instance, n.digest.Hash)
		}
	}
	bad := []string{
		"",
		"blobs",
		"blobs/" + testHash,
		"blobs/" + testHash + "/-1",
		"blobs/" + testHash + "/+1",
		"blobs/" + testHash + "/1x",
		"blobs/" + testHash + "/99999999999999999999",
		"blobs/" + strings.ToUpper(testHash) + "/1",
		"blobs/abc/1",
		"blobs/" + testHash + "/1/extra",
		"/blobs/" + testHash + "/1",
		"a//b/blobs/" + testHash + "/1",
		"../blobs/" + testHash + "/1",
		"main/" + testHash + "/1",
		"main/compressed-blobs/zstd/" + testHash + "/1",
		"main/blobs/sha1/" + testHash + "/1",
		"main/blobs/md5/" + testHash + "/1",
		"main/uploads/u/blobs/" + testHash + "/1",
	}
	for _, name := range bad {
		if _, err := parseReadResourceName(name); status.Code(err) != codes.InvalidArgument {
			t.Errorf("%q: got %v, want InvalidArgument", name, err)
		}
	}
}

func TestParseWriteResourceName(t *testing.T) {
	n, err := parseWriteResourceName("a/b/uploads/1234/blobs/" + testHash + "/5/some/metadata")
	if err != nil {
		t.Fatal(err)
	}
	if n.upload != "a/b/uploads/1234" || n.digest.Instance != "a/b" || n.digest.Size != 5 {
		t.Errorf("got %+v", n)
	}
	if n, err := parseWriteResourceName("uploads/u/blobs/" + testHash + "/0"); err != nil || n.upload != "uploads/u" {
		t.Errorf("no instance: %+v %v", n, err)
	}
	bad := []string{
		"blobs/" + testHash + "/1",
		"uploads/blobs/" + testHash + "/1",
		"uploads//blobs/" + testHash + "/1",
		"uploads/u/" + testHash + "/1",
		"uploads/u/blobs/" + testHash + "/-3",
		"uploads/u/compressed-blobs/zstd/" + testHash + "/1",
		"x/../uploads/u/blobs/" + testHash + "/1",
	}
	for _, name := range bad {
		if _, err := parseWriteResourceName(name); status.Code(err) != codes.InvalidArgument {
			t.Errorf("%q: got %v, want InvalidArgument", name, err)
		}
	}
}

func TestValidateInstanceName(t *testing.T) {
	for _, ok := range []string{"", "main", "a/b/c", "team-1/x_y"} {
		if err := digest.ValidateInstanceName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"/a", "a/", "a//b", "a/./b", "..", "blobs", "a/uploads/b", "x/compressed-blobs"} {
		if err := digest.ValidateInstanceName(bad); status.Code(err) != codes.InvalidArgument {
			t.Errorf("%q: got %v, want InvalidArgument", bad, err)
		}
	}
}
