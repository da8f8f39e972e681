package filecache

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
	"github.com/sandbarn/sandbarn/storage/memory"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// countingCAS counts Gets and can slow them down, to observe deduplication.
type countingCAS struct {
	storage.BlobAccess
	gets  atomic.Int64
	delay time.Duration
}

func (c *countingCAS) Get(ctx context.Context, d digest.Digest) (io.ReadCloser, error) {
	c.gets.Add(1)
	time.Sleep(c.delay)
	return c.BlobAccess.Get(ctx, d)
}

func put(t *testing.T, cas storage.BlobAccess, s string) digest.Digest {
	t.Helper()
	d := digest.OfBytes("", []byte(s))
	if err := storage.PutBytes(context.Background(), cas, d, []byte(s)); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestLinkDeduplicatesConcurrentDownloads(t *testing.T) {
	cas := &countingCAS{BlobAccess: memory.NewCAS(), delay: 20 * time.Millisecond}
	d := put(t, cas, "hello")
	dir := t.TempDir()
	c, err := New(filepath.Join(dir, "cache"), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Link(context.Background(), cas, d, false, filepath.Join(dir, "out"+string(rune('a'+i)))); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := cas.gets.Load(); n != 1 {
		t.Fatalf("%d downloads, want 1", n)
	}
	data, err := os.ReadFile(filepath.Join(dir, "outa"))
	if err != nil || string(data) != "hello" {
		t.Fatalf("linked file = %q, %v", data, err)
	}
}

func TestExecutableAndPlainCopiesAreSeparateAndReadOnly(t *testing.T) {
	cas := memory.NewCAS()
	d := put(t, cas, "#!/bin/sh\n")
	dir := t.TempDir()
	c, err := New(filepath.Join(dir, "cache"), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Link(ctx, cas, d, true, filepath.Join(dir, "x")); err != nil {
		t.Fatal(err)
	}
	if err := c.Link(ctx, cas, d, false, filepath.Join(dir, "r")); err != nil {
		t.Fatal(err)
	}
	x, _ := os.Stat(filepath.Join(dir, "x"))
	r, _ := os.Stat(filepath.Join(dir, "r"))
	if x.Mode().Perm() != 0o555 || r.Mode().Perm() != 0o444 {
		t.Fatalf("modes %v and %v, want r-xr-xr-x and r--r--r--", x.Mode(), r.Mode())
	}
	if os.SameFile(x, r) {
		t.Fatal("executable and plain copies share an inode")
	}
	if c.Len() != 2 {
		t.Fatalf("cache holds %d files, want 2", c.Len())
	}
}

func TestEvictsLeastRecentlyUsed(t *testing.T) {
	cas := memory.NewCAS()
	dir := t.TempDir()
	c, err := New(filepath.Join(dir, "cache"), 25)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var ds []digest.Digest
	for i, s := range []string{"aaaaaaaaaa", "bbbbbbbbbb", "cccccccccc"} {
		ds = append(ds, put(t, cas, s))
		if err := c.Link(ctx, cas, ds[i], false, filepath.Join(dir, s)); err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			// Use the first file again so the second becomes the oldest.
			if err := c.Link(ctx, cas, ds[0], false, filepath.Join(dir, "again")); err != nil {
				t.Fatal(err)
			}
		}
	}
	if c.UsedBytes() != 20 {
		t.Fatalf("used %d bytes, want 20", c.UsedBytes())
	}
	if _, err := os.Stat(c.path(key(ds[1], false))); !os.IsNotExist(err) {
		t.Fatalf("least recently used file still cached: %v", err)
	}
	if _, err := os.Stat(c.path(key(ds[0], false))); err != nil {
		t.Fatalf("recently used file evicted: %v", err)
	}
	// A link made before eviction keeps its content.
	if data, _ := os.ReadFile(filepath.Join(dir, "bbbbbbbbbb")); string(data) != "bbbbbbbbbb" {
		t.Fatalf("evicted file's link reads %q", data)
	}
}

func TestReloadKeepsVerifiedFilesAndDropsJunk(t *testing.T) {
	cas := &countingCAS{BlobAccess: memory.NewCAS()}
	d := put(t, cas, "persist")
	dir := t.TempDir()
	cacheDir := filepath.Join(dir, "cache")
	c, err := New(cacheDir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Link(context.Background(), cas, d, false, filepath.Join(dir, "one")); err != nil {
		t.Fatal(err)
	}
	junk := filepath.Join(cacheDir, "files", strings.Repeat("a", 64)+"-5")
	if err := os.WriteFile(junk, []byte("wrong size"), 0o444); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(cacheDir, "tmp", "partial"), []byte("x"), 0o600)

	c2, err := New(cacheDir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if c2.Len() != 1 {
		t.Fatalf("reloaded %d files, want 1", c2.Len())
	}
	if _, err := os.Stat(junk); !os.IsNotExist(err) {
		t.Fatal("file with inconsistent size survived reload")
	}
	if err := c2.Link(context.Background(), cas, d, false, filepath.Join(dir, "two")); err != nil {
		t.Fatal(err)
	}
	if n := cas.gets.Load(); n != 1 {
		t.Fatalf("%d downloads across restart, want 1", n)
	}
}

func TestMissingAndCorruptBlobs(t *testing.T) {
	cas := memory.NewCAS()
	dir := t.TempDir()
	c, err := New(filepath.Join(dir, "cache"), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	missing := digest.OfBytes("", []byte("never uploaded"))
	err = c.Link(context.Background(), cas, missing, false, filepath.Join(dir, "m"))
	if status.Code(err) != codes.NotFound {
		t.Fatalf("missing blob: %v, want NotFound", err)
	}
	// A store that returns other content than the digest names.
	good := put(t, cas, "good")
	bad := liarCAS{cas, good}
	wrong := digest.OfBytes("", []byte("good!"))
	wrong.Size = good.Size
	err = c.Link(context.Background(), bad, wrong, false, filepath.Join(dir, "w"))
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("corrupt blob: %v, want InvalidArgument", err)
	}
	if c.Len() != 0 {
		t.Fatal("failed downloads entered the cache")
	}
}

type liarCAS struct {
	storage.BlobAccess
	real digest.Digest
}

func (l liarCAS) Get(ctx context.Context, d digest.Digest) (io.ReadCloser, error) {
	return l.BlobAccess.Get(ctx, l.real)
}

func TestEmptyFileNeedsNoDownload(t *testing.T) {
	cas := &countingCAS{BlobAccess: memory.NewCAS()}
	dir := t.TempDir()
	c, err := New(filepath.Join(dir, "cache"), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Link(context.Background(), cas, digest.OfBytes("", nil), false, filepath.Join(dir, "e")); err != nil {
		t.Fatal(err)
	}
	if cas.gets.Load() != 0 {
		t.Fatal("empty blob was downloaded")
	}
}
