package storagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/sandbarn/sandbarn/errkind"
	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
)

// LargeBlobSize is the size of the blob the suite streams through Put and
// Get; it is far bigger than any single gRPC message.
const LargeBlobSize = 64 << 20

// Factory returns a new, empty store for one subtest. It should clean up
// after itself with t.Cleanup (t.TempDir, closing servers ...).
type Factory func(t *testing.T) storage.BlobAccess

// RunConformance checks the BlobAccess contract. newCAS must return an
// empty content-addressable store (verifying, instance names ignored for
// lookup); newAC an empty Action Cache (not verifying, keyed by instance
// name and digest). Either may be nil to skip that half of the suite.
// Every subtest gets a fresh store, so subtests may run in any order.
func RunConformance(t *testing.T, newCAS, newAC Factory) {
	if newCAS != nil {
		for _, c := range casCases {
			t.Run("CAS/"+c.name, func(t *testing.T) { c.run(t, newCAS(t)) })
		}
	}
	if newAC != nil {
		for _, c := range acCases {
			t.Run("AC/"+c.name, func(t *testing.T) { c.run(t, newAC(t)) })
		}
	}
}

type testCase struct {
	name string
	run  func(t *testing.T, ba storage.BlobAccess)
}

var casCases = []testCase{
	{"RoundTrip", casRoundTrip},
	{"EmptyBlob", casEmptyBlob},
	{"NotFound", casNotFound},
	{"FindMissingMixed", casFindMissingMixed},
	{"WrongContent", casWrongContent},
	{"WrongContentOverExisting", casWrongContentOverExisting},
	{"ConcurrentPutsSameBlob", casConcurrentPuts},
	{"LargeBlobStreamed", casLargeBlob},
	{"SeekableReader", casSeek},
	{"RepeatedPut", casRepeatedPut},
}

var acCases = []testCase{
	{"RoundTrip", acRoundTrip},
	{"NotFound", acNotFound},
	{"KeyedByInstance", acKeyedByInstance},
	{"Overwrite", acOverwrite},
	{"FindMissing", acFindMissing},
}

func casRoundTrip(t *testing.T, ba storage.BlobAccess) {
	for i, size := range []int{1, 1000, 1 << 20} {
		data := randomBytes(uint64(100+i), size)
		d := digest.OfBytes("", data)
		put(t, ba, d, data)
		wantContent(t, ba, d, data)
		// The CAS ignores instance names: content is content.
		wantContent(t, ba, d.WithInstance("other"), data)
	}
}

func casEmptyBlob(t *testing.T, ba storage.BlobAccess) {
	// Clients never upload the empty blob (REAPI says servers must treat
	// it as present), so it has to be there in a fresh store.
	empty := digest.OfBytes("", nil)
	wantMissing(t, ba, []digest.Digest{empty}, nil)
	wantContent(t, ba, empty, nil)
	wantContent(t, ba, empty.WithInstance("some/instance"), nil)
	// Uploading it anyway is harmless.
	put(t, ba, empty, nil)
	wantContent(t, ba, empty, nil)
	// Content under the empty digest is still checked.
	err := ba.Put(context.Background(), empty, strings.NewReader("x"))
	wantKind(t, err, errkind.Invalid, "Put of one byte under the empty digest")
}

func casNotFound(t *testing.T, ba storage.BlobAccess) {
	d := digest.OfBytes("", []byte("never stored"))
	r, err := ba.Get(context.Background(), d)
	if err == nil {
		r.Close()
	}
	wantKind(t, err, errkind.NotFound, "Get of a missing blob")
}

func casFindMissingMixed(t *testing.T, ba storage.BlobAccess) {
	var present, absent []digest.Digest
	for i := range 6 {
		data := randomBytes(uint64(200+i), 100+i)
		d := digest.OfBytes("", data)
		if i%2 == 0 {
			put(t, ba, d, data)
			present = append(present, d)
		} else {
			absent = append(absent, d)
		}
	}
	query := append(append([]digest.Digest{}, present...), absent...)
	// Duplicates of both kinds, and a digest whose hash is stored but whose
	// size is wrong: that is a different (impossible) blob.
	query = append(query, present[0], absent[0], absent[0])
	wrongSize := present[1]
	wrongSize.Size++
	query = append(query, wrongSize)
	wantMissing(t, ba, query, append(append([]digest.Digest{}, absent...), wrongSize))
	wantMissing(t, ba, nil, nil)
	wantMissing(t, ba, present, nil)
}

func casWrongContent(t *testing.T, ba storage.BlobAccess) {
	data := randomBytes(300, 4096)
	d := digest.OfBytes("", data)
	bad := append([]byte{}, data...)
	bad[100] ^= 1
	cases := map[string][]byte{
		"flipped bit": bad,
		"too short":   data[:4095],
		"too long":    append(append([]byte{}, data...), 0),
		"empty":       nil,
	}
	for name, content := range cases {
		err := ba.Put(context.Background(), d, bytes.NewReader(content))
		wantKind(t, err, errkind.Invalid, "Put with content "+name)
		wantMissing(t, ba, []digest.Digest{d}, []digest.Digest{d})
		r, err := ba.Get(context.Background(), d)
		if err == nil {
			r.Close()
		}
		wantKind(t, err, errkind.NotFound, "Get after a rejected Put ("+name+")")
	}
}

func casWrongContentOverExisting(t *testing.T, ba storage.BlobAccess) {
	data := randomBytes(310, 2048)
	d := digest.OfBytes("", data)
	put(t, ba, d, data)
	bad := append([]byte{}, data...)
	bad[0] ^= 0xff
	err := ba.Put(context.Background(), d, bytes.NewReader(bad))
	wantKind(t, err, errkind.Invalid, "Put of wrong content over a stored blob")
	wantContent(t, ba, d, data)
}

func casConcurrentPuts(t *testing.T, ba storage.BlobAccess) {
	data := randomBytes(400, 1<<20)
	d := digest.OfBytes("", data)
	const writers = 8
	var wg sync.WaitGroup
	errs := make(chan error, 2*writers)
	for range writers {
		wg.Go(func() {
			if err := ba.Put(context.Background(), d, bytes.NewReader(data)); err != nil {
				errs <- err
			}
		})
		// Readers racing the writers see either NotFound or the whole blob.
		wg.Go(func() {
			errs <- readWholeOrNotFound(ba, d, data)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	wantContent(t, ba, d, data)
}

func readWholeOrNotFound(ba storage.BlobAccess, d digest.Digest, want []byte) error {
	r, err := ba.Get(context.Background(), d)
	if err != nil {
		if errkind.Is(err, errkind.NotFound) {
			return nil
		}
		return fmt.Errorf("Get during concurrent Puts: %w", err)
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("read during concurrent Puts: %w", err)
	}
	if !bytes.Equal(got, want) {
		return errors.New("Get during concurrent Puts returned a partial or wrong blob")
	}
	return nil
}

func casLargeBlob(t *testing.T, ba storage.BlobAccess) {
	const seed = 500
	d := streamDigest("", seed, LargeBlobSize)
	if err := ba.Put(context.Background(), d, newStream(seed, LargeBlobSize)); err != nil {
		t.Fatalf("Put of a %d-byte stream: %v", int64(LargeBlobSize), err)
	}
	r, err := ba.Get(context.Background(), d)
	if err != nil {
		t.Fatalf("Get of the large blob: %v", err)
	}
	defer r.Close()
	h := d.NewHasher()
	n, err := io.Copy(h, r)
	if err != nil {
		t.Fatalf("reading the large blob: %v", err)
	}
	if err := d.Verify(fmt.Sprintf("%x", h.Sum(nil)), n); err != nil {
		t.Fatalf("large blob read back wrong: %v", err)
	}
}

func casRepeatedPut(t *testing.T, ba storage.BlobAccess) {
	data := randomBytes(600, 777)
	d := digest.OfBytes("", data)
	for range 3 {
		put(t, ba, d, data)
	}
	wantContent(t, ba, d, data)
}
