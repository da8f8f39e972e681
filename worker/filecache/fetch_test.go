package filecache

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sandbarn/sandbarn/storage/digest"
	"github.com/sandbarn/sandbarn/storage/memory"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestFetchCachesBatchReadOnlyAndApart(t *testing.T) {
	cas := &countingCAS{BlobAccess: memory.NewCAS()}
	dir := t.TempDir()
	c, err := New(filepath.Join(dir, "cache"), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	a, b := put(t, cas, "alpha"), put(t, cas, "beta")
	missing := digest.OfBytes("", []byte("absent"))
	blobs := []Blob{{a, false}, {a, true}, {b, false}, {b, false}, {missing, false}, {digest.OfBytes("", nil), false}}
	failed, err := c.Fetch(context.Background(), cas, blobs, 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(failed) != 1 || status.Code(failed[Blob{missing, false}]) != codes.NotFound {
		t.Fatalf("failed %v, want only the missing blob with NotFound", failed)
	}
	if c.Len() != 4 {
		t.Fatalf("%d cached files, want 4 (alpha twice, beta, empty)", c.Len())
	}
	for _, bl := range []Blob{{a, false}, {a, true}} {
		info, err := os.Stat(c.path(key(bl.Digest, bl.Executable)))
		if err != nil || info.Mode().Perm() != mode(bl.Executable) {
			t.Fatalf("%v: %v %v", bl, info, err)
		}
	}
	gets := cas.gets.Load()
	// Linking now finds everything in place.
	if err := c.Link(context.Background(), cas, a, true, filepath.Join(dir, "x")); err != nil {
		t.Fatal(err)
	}
	if cas.gets.Load() != gets {
		t.Fatal("Link downloaded a file that Fetch had cached")
	}
	if failed, err := c.Fetch(context.Background(), cas, blobs[:4], 4); err != nil || len(failed) != 0 || cas.gets.Load() != gets {
		t.Fatalf("second Fetch: %v %v, %d new downloads", failed, err, cas.gets.Load()-gets)
	}
}

// TestFetchAndLinkShareOneDownload checks single-flight across the two
// paths: a Link racing a Fetch of the same file waits for it.
func TestFetchAndLinkShareOneDownload(t *testing.T) {
	cas := &countingCAS{BlobAccess: memory.NewCAS(), delay: 30 * time.Millisecond}
	dir := t.TempDir()
	c, err := New(filepath.Join(dir, "cache"), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	d := put(t, cas, "shared")
	if err := os.MkdirAll(filepath.Join(dir, "l"), 0o755); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if _, err := c.Fetch(context.Background(), cas, []Blob{{d, false}}, 2); err != nil {
			t.Error(err)
		}
	}()
	time.Sleep(5 * time.Millisecond)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if err := c.Link(context.Background(), cas, d, false, filepath.Join(dir, "l", string(rune('a'+i)))); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	if n := cas.gets.Load(); n != 1 {
		t.Fatalf("%d downloads, want 1", n)
	}
}

func TestFetchRejectsCorruptBlob(t *testing.T) {
	cas := memory.NewCAS()
	dir := t.TempDir()
	c, err := New(filepath.Join(dir, "cache"), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	good := put(t, cas, "good")
	wrong := digest.OfBytes("", []byte("evil"))
	failed, err := c.Fetch(context.Background(), liarCAS{cas, good}, []Blob{{wrong, false}}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if status.Code(failed[Blob{wrong, false}]) != codes.InvalidArgument {
		t.Fatalf("corrupt blob: %v, want InvalidArgument", failed)
	}
	if c.Len() != 0 {
		t.Fatal("corrupt blob entered the cache")
	}
	if entries, _ := os.ReadDir(c.tmpDir); len(entries) != 0 {
		t.Fatalf("temporary files left: %v", entries)
	}
}
