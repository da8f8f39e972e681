package main

import (
	"encoding/hex"
	"io"

	"github.com/sandbarn/sandbarn/storage/digest"
)

// pattern is blob content repeated from an 8-byte seed with a counter
// mixed in, so distinct seeds give distinct blobs and no blob needs to be
// held in memory.
type pattern struct {
	block []byte
	left  int
	pos   int
}

func newPattern(seed []byte, size int) *pattern {
	block := make([]byte, 64<<10)
	for i := range block {
		block[i] = seed[i%len(seed)] ^ byte(i/len(seed))
	}
	return &pattern{block: block, left: size}
}

func (p *pattern) Read(b []byte) (int, error) {
	if p.left == 0 {
		return 0, io.EOF
	}
	n := min(len(b), p.left, len(p.block)-p.pos)
	copy(b, p.block[p.pos:p.pos+n])
	p.pos = (p.pos + n) % len(p.block)
	p.left -= n
	return n, nil
}

func digestOf(seed []byte, size int) digest.Digest {
	d := digest.Digest{Size: int64(size)}
	h := d.NewHasher()
	io.CopyBuffer(h, newPattern(seed, size), make([]byte, 1<<20))
	d, _ = digest.New("", 0, hex.EncodeToString(h.Sum(nil)), int64(size))
	return d
}
