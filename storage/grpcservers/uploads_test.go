package grpcservers

import (
	"context"
	"os"
	"testing"
	"time"
)

func TestIdleUploadsExpire(t *testing.T) {
	now := time.Unix(1000, 0)
	opts := Options{UploadDirectory: t.TempDir(), UploadIdleTimeout: time.Minute, Now: func() time.Time { return now }}
	store := newUploadStore(opts.withDefaults())
	ctx := context.Background()
	a, err := parseWriteResourceName("uploads/a/blobs/" + testHash + "/10")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := parseWriteResourceName("uploads/b/blobs/" + testHash + "/10")
	u, err := store.acquire(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	u.file.Write([]byte("12345"))
	u.committed = 5
	path := u.file.Name()
	store.release(u)
	if n, _ := store.committed(ctx, a); n != 5 {
		t.Fatalf("committed %d, want 5", n)
	}
	now = now.Add(30 * time.Second)
	ub, _ := store.acquire(ctx, b)
	store.release(ub)
	if n, _ := store.committed(ctx, a); n != 5 {
		t.Fatalf("upload expired early: committed %d", n)
	}
	now = now.Add(2 * time.Minute)
	ub, _ = store.acquire(ctx, b)
	store.release(ub)
	if n, _ := store.committed(ctx, a); n != 0 {
		t.Fatalf("idle upload kept: committed %d", n)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("file of the expired upload still exists: %v", err)
	}
}

func TestUploadWaitsForPreviousStream(t *testing.T) {
	store := newUploadStore(Options{UploadDirectory: t.TempDir()}.withDefaults())
	name, _ := parseWriteResourceName("uploads/a/blobs/" + testHash + "/10")
	u, err := store.acquire(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := store.acquire(ctx, name); err == nil {
		t.Fatal("a second stream got an upload that is being written")
	}
	store.release(u)
	u2, err := store.acquire(context.Background(), name)
	if err != nil || u2 != u {
		t.Fatalf("after release: %v, same upload %v", err, u2 == u)
	}
	store.discard(u2)
}
