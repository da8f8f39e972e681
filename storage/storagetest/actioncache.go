package storagetest

import (
	"context"
	"testing"

	"github.com/sandbarn/sandbarn/errkind"
	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
)

// actionDigest names an Action Cache entry; the Action Cache never hashes
// what it stores, so the value bytes are unrelated to the key.
func actionDigest(instance string, seed uint64) digest.Digest {
	return digest.OfBytes(instance, randomBytes(seed, 64))
}

func acRoundTrip(t *testing.T, ba storage.BlobAccess) {
	d := actionDigest("main", 800)
	value := randomBytes(801, 300)
	put(t, ba, d, value)
	wantContent(t, ba, d, value)
}

func acNotFound(t *testing.T, ba storage.BlobAccess) {
	r, err := ba.Get(context.Background(), actionDigest("main", 810))
	if err == nil {
		r.Close()
	}
	wantKind(t, err, errkind.NotFound, "Get of a missing Action Cache entry")
	// The empty digest is only special in the CAS.
	r, err = ba.Get(context.Background(), digest.OfBytes("main", nil))
	if err == nil {
		r.Close()
	}
	wantKind(t, err, errkind.NotFound, "Get of the empty digest in the Action Cache")
}

func acKeyedByInstance(t *testing.T, ba storage.BlobAccess) {
	a := actionDigest("team-a", 820)
	b := a.WithInstance("team-b")
	valueA, valueB := randomBytes(821, 100), randomBytes(822, 200)
	put(t, ba, a, valueA)
	wantMissing(t, ba, []digest.Digest{a, b}, []digest.Digest{b})
	r, err := ba.Get(context.Background(), b)
	if err == nil {
		r.Close()
	}
	wantKind(t, err, errkind.NotFound, "Get under an instance name that was not written")
	put(t, ba, b, valueB)
	wantContent(t, ba, a, valueA)
	wantContent(t, ba, b, valueB)
	// Instance names containing separators must not alias each other.
	c := a.WithInstance("team-a/sub")
	wantMissing(t, ba, []digest.Digest{c}, []digest.Digest{c})
}

func acOverwrite(t *testing.T, ba storage.BlobAccess) {
	d := actionDigest("main", 830)
	first, second := randomBytes(831, 500), randomBytes(832, 50)
	put(t, ba, d, first)
	put(t, ba, d, second)
	wantContent(t, ba, d, second)
}

func acFindMissing(t *testing.T, ba storage.BlobAccess) {
	stored := actionDigest("main", 840)
	put(t, ba, stored, randomBytes(841, 10))
	absent := actionDigest("main", 842)
	wantMissing(t, ba, []digest.Digest{stored, absent, absent, stored}, []digest.Digest{absent})
}
