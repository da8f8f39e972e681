package local

import "encoding/binary"

// key names a blob in the store: the SHA-256 hash itself for a CAS, a
// SHA-256 of instance name and digest for an Action Cache. Either way it is
// uniformly distributed, which the hash table below relies on.
type key [32]byte

// entry is one blob in the index. Entries link into a circular LRU list
// through slice positions rather than pointers, which keeps them small and
// invisible to the garbage collector.
type entry struct {
	key        key
	size       int64
	prev, next int32
}

// lruIndex maps keys to sizes and orders them by recency. It is a
// hand-rolled open-addressing table over entry positions instead of a Go
// map so that an entry costs about 56 bytes: the store may hold millions.
// It is not safe for concurrent use.
type lruIndex struct {
	// entries[0] is the sentinel of the LRU list: its next is the most
	// recently used entry, its prev the least recently used.
	entries []entry
	free    []int32
	// slots holds entry positions, 0 meaning empty; linear probing with
	// backward-shift deletion, so no tombstones.
	slots []int32
	count int
	used  int64
}

func newLRUIndex() *lruIndex {
	return &lruIndex{entries: make([]entry, 1), slots: make([]int32, 1024)}
}

func (x *lruIndex) home(k *key) int {
	return int(binary.LittleEndian.Uint64(k[:8]) & uint64(len(x.slots)-1))
}

// find returns the entry holding k, or 0, and the slot where it is or
// would be stored.
func (x *lruIndex) find(k *key) (int32, int) {
	mask := len(x.slots) - 1
	for s := x.home(k); ; s = (s + 1) & mask {
		e := x.slots[s]
		if e == 0 || x.entries[e].key == *k {
			return e, s
		}
	}
}

// lookup returns the position of k's entry, or 0 when k is absent.
func (x *lruIndex) lookup(k key) int32 {
	e, _ := x.find(&k)
	return e
}

// put records k with size as the most recently used entry, replacing any
// earlier entry for k, and returns its position.
func (x *lruIndex) put(k key, size int64) int32 {
	e, s := x.find(&k)
	if e != 0 {
		x.used += size - x.entries[e].size
		x.entries[e].size = size
		x.touch(e)
		return e
	}
	if (x.count+1)*4 > len(x.slots)*3 {
		x.grow()
		_, s = x.find(&k)
	}
	e = x.allocate(entry{key: k, size: size})
	x.slots[s] = e
	x.count++
	x.used += size
	x.linkFront(e)
	return e
}

func (x *lruIndex) allocate(en entry) int32 {
	if n := len(x.free); n > 0 {
		e := x.free[n-1]
		x.free = x.free[:n-1]
		x.entries[e] = en
		return e
	}
	x.entries = append(x.entries, en)
	return int32(len(x.entries) - 1)
}

func (x *lruIndex) grow() {
	old := x.slots
	x.slots = make([]int32, 2*len(old))
	for _, e := range old {
		if e != 0 {
			_, s := x.find(&x.entries[e].key)
			x.slots[s] = e
		}
	}
}

// remove drops the entry at position e.
func (x *lruIndex) remove(e int32) {
	_, s := x.find(&x.entries[e].key)
	x.deleteSlot(s)
	x.unlink(e)
	x.used -= x.entries[e].size
	x.count--
	x.entries[e] = entry{}
	x.free = append(x.free, e)
}

// deleteSlot empties slot s and moves later members of its probe run back
// so that every key stays reachable from its home slot.
func (x *lruIndex) deleteSlot(s int) {
	mask := len(x.slots) - 1
	for {
		x.slots[s] = 0
		j := s
		for {
			j = (j + 1) & mask
			e := x.slots[j]
			if e == 0 {
				return
			}
			h := x.home(&x.entries[e].key)
			// The entry at j may fill s only if its home is not within
			// (s, j], cyclically; otherwise moving it would put it before
			// its home.
			if (s < j && (h <= s || h > j)) || (s > j && h <= s && h > j) {
				x.slots[s] = e
				s = j
				break
			}
		}
	}
}

// touch marks the entry at e as the most recently used.
func (x *lruIndex) touch(e int32) {
	x.unlink(e)
	x.linkFront(e)
}

// oldest returns the least recently used entry other than keep, or 0.
func (x *lruIndex) oldest(keep int32) int32 {
	for e := x.entries[0].prev; e != 0; e = x.entries[e].prev {
		if e != keep {
			return e
		}
	}
	return 0
}

func (x *lruIndex) unlink(e int32) {
	en := &x.entries[e]
	x.entries[en.prev].next = en.next
	x.entries[en.next].prev = en.prev
}

func (x *lruIndex) linkFront(e int32) {
	first := x.entries[0].next
	x.entries[e].prev = 0
	x.entries[e].next = first
	x.entries[first].prev = e
	x.entries[0].next = e
}
