package local

import (
	"github.com/sandbarn/sandbarn/storage/digest"
	"testing"
	"time"
)

func TestRestartKeepsContentAndRecency(t *testing.T) {
	dir := t.TempDir()
	clock := steppingClock(time.Unix(1_700_000_000, 0))
	ba := openStore(t, dir, CAS, 4*blobSize, clock)
	ds := fill(t, ba, 4)
	mustRead(t, ba, ds[0])
	mustRead(t, ba, ds[2])
	ba.Close()

	// The recency order on disk is now 1, 3, 0, 2 (oldest first), and
	// reopening smaller evicts in that order.
	ba = openStore(t, dir, CAS, 3*blobSize, clock)
	wantStored(t, ba, ds, "x.xx")
	ba.Close()
	ba = openStore(t, dir, CAS, 2*blobSize, clock)
	wantStored(t, ba, ds, "x.x.")
	for _, i := range []int{0, 2} {
		data, _ := blob(byte(i), blobSize)
		if got := mustRead(t, ba, ds[i]); string(got) != string(data) {
			t.Fatalf("blob %d changed across the restart", i)
		}
	}
}

func TestRestartRecencyFromWrites(t *testing.T) {
	dir := t.TempDir()
	clock := steppingClock(time.Unix(1_700_000_000, 0))
	ba := openStore(t, dir, CAS, 4*blobSize, clock)
	ds := fill(t, ba, 4)
	mustRead(t, ba, ds[1])
	ba.Close()
	ba = openStore(t, dir, CAS, 2*blobSize, clock)
	wantStored(t, ba, ds, ".x.x")
}

func TestRestartActionCache(t *testing.T) {
	dir := t.TempDir()
	ba := openStore(t, dir, ActionCache, 1<<20, nil)
	data, d := blob(1, 300)
	mustPut(t, ba, d.WithInstance("a"), data)
	ba.Close()
	ba = openStore(t, dir, ActionCache, 1<<20, nil)
	if got := mustRead(t, ba, d.WithInstance("a")); string(got) != string(data) {
		t.Fatal("Action Cache entry changed across the restart")
	}
	wantStored(t, ba, []digest.Digest{d.WithInstance("b")}, ".")
}

func TestOpenRefusesWrongKindAndSecondOpener(t *testing.T) {
	dir := t.TempDir()
	openStore(t, dir, CAS, 1<<20, nil)
	if _, err := New(Options{Dir: dir, MaxSizeBytes: 1 << 20, Kind: CAS}); err == nil {
		t.Fatal("a second New on an open directory succeeded")
	}
	other := t.TempDir()
	openStore(t, other, CAS, 1<<20, nil).Close()
	if _, err := New(Options{Dir: other, MaxSizeBytes: 1 << 20, Kind: ActionCache}); err == nil {
		t.Fatal("a CAS directory opened as an Action Cache")
	}
}
