package local

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sandbarn/sandbarn/errkind"
	"github.com/sandbarn/sandbarn/storage/digest"
)

const blobSize = 1000

// fill stores n blobs of blobSize bytes, oldest first.
func fill(t *testing.T, ba *BlobAccess, n int) []digest.Digest {
	t.Helper()
	var ds []digest.Digest
	for i := range n {
		data, d := blob(byte(i), blobSize)
		mustPut(t, ba, d, data)
		ds = append(ds, d)
	}
	return ds
}

func wantStored(t *testing.T, ba *BlobAccess, ds []digest.Digest, want string) {
	t.Helper()
	var got strings.Builder
	for _, ok := range stored(ba, ds...) {
		if ok {
			got.WriteByte('x')
		} else {
			got.WriteByte('.')
		}
	}
	if got.String() != want {
		t.Fatalf("stored blobs %q, want %q (x stored, . evicted)", got.String(), want)
	}
	// Index and directory must agree.
	for i, ok := range stored(ba, ds...) {
		k, _ := ba.key(ds[i])
		_, err := os.Stat(ba.blobPath(k))
		if ok != (err == nil) {
			t.Fatalf("blob %d: in index %v, file stat error %v", i, ok, err)
		}
	}
}

func TestEvictionOldestFirst(t *testing.T) {
	ba := openStore(t, t.TempDir(), CAS, 5*blobSize, nil)
	ds := fill(t, ba, 8)
	wantStored(t, ba, ds, "...xxxxx")
	if got := ba.SizeBytes(); got != 5*blobSize {
		t.Fatalf("SizeBytes() = %d, want %d", got, 5*blobSize)
	}
}

func TestEvictionKeepsRecentlyRead(t *testing.T) {
	ba := openStore(t, t.TempDir(), CAS, 5*blobSize, nil)
	ds := fill(t, ba, 5)
	mustRead(t, ba, ds[0])
	// A FindMissing hit counts as a use too.
	if _, err := ba.FindMissing(context.Background(), ds[1:2]); err != nil {
		t.Fatal(err)
	}
	data, d := blob(100, blobSize)
	mustPut(t, ba, d, data)
	data, d2 := blob(101, blobSize)
	mustPut(t, ba, d2, data)
	wantStored(t, ba, append(ds, d, d2), "xx..xxx")
}

func TestEvictionReputRefreshes(t *testing.T) {
	ba := openStore(t, t.TempDir(), CAS, 3*blobSize, nil)
	ds := fill(t, ba, 3)
	data, _ := blob(0, blobSize)
	mustPut(t, ba, ds[0], data)
	data, d := blob(50, blobSize)
	mustPut(t, ba, d, data)
	wantStored(t, ba, append(ds, d), "x.xx")
}

// TestEvictionNeverDropsNewBlob stores a blob as big as the whole store:
// everything else goes, the new blob stays.
func TestEvictionNeverDropsNewBlob(t *testing.T) {
	ba := openStore(t, t.TempDir(), CAS, 3*blobSize, nil)
	ds := fill(t, ba, 3)
	data, d := blob(60, 3*blobSize)
	mustPut(t, ba, d, data)
	wantStored(t, ba, append(ds, d), "...x")
	big, dBig := blob(61, 3*blobSize+1)
	err := ba.Put(context.Background(), dBig, strings.NewReader(string(big)))
	if !errkind.Is(err, errkind.Exhausted) {
		t.Fatalf("Put of a blob larger than the store: %v, want ResourceExhausted", err)
	}
	wantStored(t, ba, []digest.Digest{d, dBig}, "x.")
}

// TestEvictionOpenReaderSurvives evicts a blob while it is being read: the
// reader still gets every byte.
func TestEvictionOpenReaderSurvives(t *testing.T) {
	ba := openStore(t, t.TempDir(), CAS, 2*blobSize, nil)
	data, d := blob(70, blobSize)
	mustPut(t, ba, d, data)
	r, err := ba.Get(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	first := make([]byte, 10)
	if _, err := io.ReadFull(r, first); err != nil {
		t.Fatal(err)
	}
	fill(t, ba, 2)
	wantStored(t, ba, []digest.Digest{d}, ".")
	rest, err := io.ReadAll(r)
	if err != nil || string(first)+string(rest) != string(data) {
		t.Fatalf("reading an evicted open blob: %d bytes, %v", len(first)+len(rest), err)
	}
}

func TestEvictionActionCache(t *testing.T) {
	ba := openStore(t, t.TempDir(), ActionCache, 3*100, nil)
	var ds []digest.Digest
	for i := range 5 {
		d := digest.OfBytes(fmt.Sprintf("instance-%d", i%2), []byte{byte(i)})
		mustPut(t, ba, d, make([]byte, 100))
		ds = append(ds, d)
	}
	wantStored(t, ba, ds, "..xxx")
}

func TestStrayFilesRemovedAtOpen(t *testing.T) {
	dir := t.TempDir()
	ba := openStore(t, dir, CAS, 1<<20, nil)
	ds := fill(t, ba, 2)
	ba.Close()
	stray := []string{
		filepath.Join(dir, tmpDirName, "put-123"),
		filepath.Join(dir, blobsDirName, "00", "not-a-blob"),
		filepath.Join(dir, blobsDirName, "00", strings.Repeat("ab", 32)), // wrong shard
		filepath.Join(dir, blobsDirName, "zz", "x"),
	}
	for _, p := range stray {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("junk"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ba = openStore(t, dir, CAS, 1<<20, nil)
	for _, p := range stray {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s survived reopening", p)
		}
	}
	wantStored(t, ba, ds, "xx")
	if got := ba.SizeBytes(); got != 2*blobSize {
		t.Fatalf("SizeBytes() = %d after reopening, want %d", got, 2*blobSize)
	}
}
