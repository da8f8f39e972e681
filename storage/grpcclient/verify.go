package grpcclient

import (
	"encoding/hex"
	"hash"
	"io"

	"github.com/sandbarn/sandbarn/errkind"
	"github.com/sandbarn/sandbarn/storage/digest"
)

// verifyingReader hashes what passes through it and turns the final EOF
// into DataLoss when the content does not match the digest, so a corrupt
// transfer cannot be mistaken for a complete blob.
type verifyingReader struct {
	io.ReadCloser
	d    digest.Digest
	h    hash.Hash
	n    int64
	done bool
}

func verify(d digest.Digest, r io.ReadCloser) io.ReadCloser {
	return &verifyingReader{ReadCloser: r, d: d, h: d.NewHasher()}
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	n, err := v.ReadCloser.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if v.n > v.d.Size {
		return n, errkind.New(errkind.DataLoss, "blob %s: server sent more than %d bytes", v.d, v.d.Size)
	}
	if err == io.EOF && !v.done {
		v.done = true
		if verr := v.d.Verify(hex.EncodeToString(v.h.Sum(nil)), v.n); verr != nil {
			return n, errkind.New(errkind.DataLoss, "%w", verr)
		}
	}
	return n, err
}
