package digest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"strconv"
	"strings"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"

	"github.com/sandbarn/sandbarn/errkind"
)

// Digest identifies a blob: the digest function, its hash (lower-case hex)
// and its size in bytes. Instance is the instance name the blob was named
// under; content-addressed stores ignore it, the Action Cache keys on it.
type Digest struct {
	Function remoteexecution.DigestFunction_Value
	Hash     string
	Size     int64
	Instance string
}

// SupportedFunctions lists the digest functions Sandbarn accepts.
var SupportedFunctions = []remoteexecution.DigestFunction_Value{
	remoteexecution.DigestFunction_SHA256,
}

// ResolveFunction maps UNKNOWN (REAPI clients before 2.3 send it) to SHA-256
// and rejects functions Sandbarn does not support as errkind.Invalid.
func ResolveFunction(fn remoteexecution.DigestFunction_Value) (remoteexecution.DigestFunction_Value, error) {
	switch fn {
	case remoteexecution.DigestFunction_UNKNOWN, remoteexecution.DigestFunction_SHA256:
		return remoteexecution.DigestFunction_SHA256, nil
	}
	return 0, errkind.New(errkind.Invalid, "unsupported digest function %s", fn)
}

// New validates hash and size and returns a Digest. Errors are of kind
// errkind.Invalid.
func New(instance string, fn remoteexecution.DigestFunction_Value, hash string, size int64) (Digest, error) {
	fn, err := ResolveFunction(fn)
	if err != nil {
		return Digest{}, err
	}
	if size < 0 {
		return Digest{}, errkind.New(errkind.Invalid, "digest %s has negative size %d", hash, size)
	}
	if len(hash) != sha256.Size*2 {
		return Digest{}, errkind.New(errkind.Invalid, "digest hash %q has length %d, want %d for %s", hash, len(hash), sha256.Size*2, fn)
	}
	for _, c := range hash {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return Digest{}, errkind.New(errkind.Invalid, "digest hash %q is not lower-case hexadecimal", hash)
		}
	}
	return Digest{Function: fn, Hash: hash, Size: size, Instance: instance}, nil
}

// FromProto validates a REAPI Digest message.
func FromProto(instance string, fn remoteexecution.DigestFunction_Value, d *remoteexecution.Digest) (Digest, error) {
	if d == nil {
		return Digest{}, errkind.New(errkind.Invalid, "digest is missing")
	}
	return New(instance, fn, d.Hash, d.SizeBytes)
}

// OfBytes returns the SHA-256 digest of data.
func OfBytes(instance string, data []byte) Digest {
	sum := sha256.Sum256(data)
	return Digest{Function: remoteexecution.DigestFunction_SHA256, Hash: hex.EncodeToString(sum[:]), Size: int64(len(data)), Instance: instance}
}

// NewHasher returns a hash.Hash for the digest's function.
func (d Digest) NewHasher() hash.Hash {
	return sha256.New()
}

// Proto returns the REAPI Digest message.
func (d Digest) Proto() *remoteexecution.Digest {
	return &remoteexecution.Digest{Hash: d.Hash, SizeBytes: d.Size}
}

// WithInstance returns the digest named under another instance.
func (d Digest) WithInstance(instance string) Digest {
	d.Instance = instance
	return d
}

// Key identifies the blob regardless of instance name.
func (d Digest) Key() string {
	// Built by hand, not with fmt: every storage lookup makes one.
	return d.Hash + "-" + strconv.FormatInt(d.Size, 10)
}

// String formats the digest as HASH/SIZE, prefixed with the instance name
// when there is one.
func (d Digest) String() string {
	s := fmt.Sprintf("%s/%d", d.Hash, d.Size)
	if d.Instance != "" {
		return d.Instance + "/" + s
	}
	return s
}

// Verify checks a computed hash (lower-case hex) and size against the digest
// and returns an errkind.Invalid error on mismatch.
func (d Digest) Verify(gotHash string, gotSize int64) error {
	if gotSize != d.Size {
		return errkind.New(errkind.Invalid, "blob %s: received %d bytes, digest says %d", d, gotSize, d.Size)
	}
	if !strings.EqualFold(gotHash, d.Hash) {
		return errkind.New(errkind.Invalid, "blob %s: content hashes to %s", d, gotHash)
	}
	return nil
}

// VerifyBytes hashes data and checks it against the digest, with Verify's
// errors.
func (d Digest) VerifyBytes(data []byte) error {
	h := d.NewHasher()
	h.Write(data)
	return d.Verify(hex.EncodeToString(h.Sum(nil)), int64(len(data)))
}

// JoinInstance names an instance below another: prefix/name, or whichever
// is not empty. Storage clients put their configured instance before a
// digest's own, and workers the scheduler's prefix before the suffix it
// sends.
func JoinInstance(prefix, name string) string {
	switch {
	case prefix == "":
		return name
	case name == "":
		return prefix
	}
	return prefix + "/" + name
}
