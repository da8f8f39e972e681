package local

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// TestIndexAgainstMap drives the hand-rolled table with random puts and
// removes and compares it with a Go map after every step. Keys share their
// low bits often, so long probe runs and wrapping deletions happen.
func TestIndexAgainstMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := newLRUIndex()
	want := map[key]int64{}
	var keys []key
	for step := range 20000 {
		if len(keys) > 0 && rng.IntN(3) == 0 {
			i := rng.IntN(len(keys))
			k := keys[i]
			keys[i] = keys[len(keys)-1]
			keys = keys[:len(keys)-1]
			e := x.lookup(k)
			if e == 0 {
				t.Fatalf("step %d: key %x lost", step, k[:8])
			}
			x.remove(e)
			delete(want, k)
		} else {
			var k key
			// 14 random low bits only: collisions guaranteed.
			binary.LittleEndian.PutUint64(k[:8], rng.Uint64()&0x3fff|rng.Uint64()<<32)
			size := int64(rng.IntN(1000))
			if _, ok := want[k]; !ok {
				keys = append(keys, k)
			}
			x.put(k, size)
			want[k] = size
		}
		if step%997 == 0 {
			checkIndex(t, x, want)
		}
	}
	checkIndex(t, x, want)
}

func checkIndex(t *testing.T, x *lruIndex, want map[key]int64) {
	t.Helper()
	var used int64
	for k, size := range want {
		e := x.lookup(k)
		if e == 0 || x.entries[e].size != size {
			t.Fatalf("key %x: entry %d, want size %d", k[:8], e, size)
		}
		used += size
	}
	if x.count != len(want) || x.used != used {
		t.Fatalf("count %d used %d, want %d and %d", x.count, x.used, len(want), used)
	}
	n := 0
	for e := x.entries[0].next; e != 0; e = x.entries[e].next {
		n++
	}
	if n != len(want) {
		t.Fatalf("LRU list has %d entries, want %d", n, len(want))
	}
}

func TestIndexLRUOrder(t *testing.T) {
	x := newLRUIndex()
	var ks [4]key
	for i := range ks {
		ks[i][0] = byte(i + 1)
		x.put(ks[i], 1)
	}
	x.touch(x.lookup(ks[0]))
	// The list runs newest to oldest through next, so walk prev from the
	// sentinel to go oldest first.
	var order []byte
	for e := x.entries[0].prev; e != 0; e = x.entries[e].prev {
		order = append(order, x.entries[e].key[0])
	}
	if string(order) != "\x02\x03\x04\x01" {
		t.Fatalf("oldest-first order %v, want [2 3 4 1]", order)
	}
	if got := x.entries[x.oldest(x.lookup(ks[1]))].key[0]; got != 3 {
		t.Fatalf("oldest excluding key 2 is %d, want 3", got)
	}
}

// TestIndexDeleteAcrossWrap builds a probe run that wraps from the last
// slot to the first and deletes from its start, so entries must move back
// across the end of the table.
func TestIndexDeleteAcrossWrap(t *testing.T) {
	x := newLRUIndex()
	last := uint64(len(x.slots) - 1)
	var ks []key
	for i := range 6 {
		var k key
		binary.LittleEndian.PutUint64(k[:8], last-1+uint64(len(x.slots))*uint64(i+1))
		k[8] = byte(i)
		ks = append(ks, k)
		x.put(k, 1)
	}
	for i, k := range ks {
		x.remove(x.lookup(k))
		for _, rest := range ks[i+1:] {
			if x.lookup(rest) == 0 {
				t.Fatalf("after removing %d keys, key %d is unreachable", i+1, rest[8])
			}
		}
	}
	if x.count != 0 || x.used != 0 {
		t.Fatalf("count %d used %d after removing everything", x.count, x.used)
	}
}
