package grpcservers

import (
	"encoding/base64"
	"encoding/binary"
	"strings"

	"github.com/sandbarn/sandbarn/errkind"
	"github.com/sandbarn/sandbarn/storage/digest"
)

// pageTokenVersion lets the token layout change without old tokens being
// misread.
const pageTokenVersion = 1

// encodePageToken makes the GetTree continuation token: the version, the
// number of directories already sent, and the root it belongs to. Binding
// the root lets us refuse a token replayed against another tree.
func encodePageToken(root digest.Digest, offset int) string {
	buf := []byte{pageTokenVersion}
	buf = binary.AppendUvarint(buf, uint64(offset))
	buf = append(buf, root.Key()...)
	return base64.RawURLEncoding.EncodeToString(buf)
}

// decodePageToken returns the offset stored in token; an empty token is
// the first page.
func decodePageToken(token string, root digest.Digest) (int, error) {
	if token == "" {
		return 0, nil
	}
	buf, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(buf) < 2 || buf[0] != pageTokenVersion {
		return 0, errkind.New(errkind.Invalid, "malformed page token")
	}
	offset, n := binary.Uvarint(buf[1:])
	if n <= 0 || offset > 1<<31 {
		return 0, errkind.New(errkind.Invalid, "malformed page token")
	}
	if !strings.EqualFold(string(buf[1+n:]), root.Key()) {
		return 0, errkind.New(errkind.Invalid, "page token belongs to another root than %s", root)
	}
	return int(offset), nil
}
