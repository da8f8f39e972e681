package grpcservers

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"

	"github.com/sandbarn/sandbarn/errkind"
	"github.com/sandbarn/sandbarn/storage/digest"
)

// resourceName is a parsed ByteStream resource name. upload is the
// "{instance}/uploads/{uuid}" prefix for writes and empty for reads; it
// identifies the partial upload so a dropped stream can be resumed.
type resourceName struct {
	digest digest.Digest
	upload string
}

// digestFunctionNames are the lower-case names a resource name may carry
// between "blobs" and the hash for digest functions other than the ones
// recognisable by hash length.
var digestFunctionNames = map[string]remoteexecution.DigestFunction_Value{
	"sha256": remoteexecution.DigestFunction_SHA256, "sha1": remoteexecution.DigestFunction_SHA1,
	"md5": remoteexecution.DigestFunction_MD5, "vso": remoteexecution.DigestFunction_VSO,
	"sha384": remoteexecution.DigestFunction_SHA384, "sha512": remoteexecution.DigestFunction_SHA512,
	"murmur3": remoteexecution.DigestFunction_MURMUR3, "sha256tree": remoteexecution.DigestFunction_SHA256TREE,
	"blake3": remoteexecution.DigestFunction_BLAKE3, "gitsha1": remoteexecution.DigestFunction_GITSHA1,
}

// parseReadResourceName parses "{instance}/blobs/[{function}/]{hash}/{size}".
func parseReadResourceName(name string) (resourceName, error) {
	segs, instance, err := splitInstance(name)
	if err != nil {
		return resourceName{}, err
	}
	d, rest, err := parseBlobSegments(name, instance, segs)
	if err != nil {
		return resourceName{}, err
	}
	if len(rest) != 0 {
		return resourceName{}, badName(name, "unexpected trailing segments after the size")
	}
	return resourceName{digest: d}, nil
}

// parseWriteResourceName parses
// "{instance}/uploads/{uuid}/blobs/[{function}/]{hash}/{size}[/{metadata}...]".
func parseWriteResourceName(name string) (resourceName, error) {
	segs, instance, err := splitInstance(name)
	if err != nil {
		return resourceName{}, err
	}
	if segs[0] != "uploads" {
		return resourceName{}, badName(name, "write resource names have the form {instance}/uploads/{uuid}/blobs/{hash}/{size}")
	}
	if len(segs) < 2 || segs[1] == "" {
		return resourceName{}, badName(name, "missing upload UUID")
	}
	d, _, err := parseBlobSegments(name, instance, segs[2:])
	if err != nil {
		return resourceName{}, err
	}
	prefix := strings.Join(segs[:2], "/")
	if instance != "" {
		prefix = instance + "/" + prefix
	}
	return resourceName{digest: d, upload: prefix}, nil
}

// splitInstance returns the segments from the first reserved one on, and
// the instance name made of the segments before it.
func splitInstance(name string) ([]string, string, error) {
	segs := strings.Split(name, "/")
	for i, s := range segs {
		if digest.IsReservedSegment(s) {
			for _, is := range segs[:i] {
				if is == "" || is == "." || is == ".." {
					return nil, "", badName(name, "instance name has an empty, '.' or '..' segment")
				}
			}
			return segs[i:], strings.Join(segs[:i], "/"), nil
		}
	}
	return nil, "", badName(name, "no \"blobs\" or \"uploads\" segment")
}

// parseBlobSegments parses "blobs/[{function}/]{hash}/{size}" and returns
// the segments after the size.
func parseBlobSegments(name, instance string, segs []string) (digest.Digest, []string, error) {
	if len(segs) == 0 {
		return digest.Digest{}, nil, badName(name, "missing \"blobs\" segment")
	}
	switch segs[0] {
	case "blobs":
	case "compressed-blobs":
		return digest.Digest{}, nil, badName(name, "compressed-blobs are not supported by this server (it advertises no compressors); use blobs/")
	default:
		return digest.Digest{}, nil, badName(name, "expected \"blobs\" after the instance name or upload UUID")
	}
	segs = segs[1:]
	fn := remoteexecution.DigestFunction_UNKNOWN
	if len(segs) > 0 {
		if f, ok := digestFunctionNames[segs[0]]; ok {
			fn = f
			segs = segs[1:]
		}
	}
	if len(segs) < 2 {
		return digest.Digest{}, nil, badName(name, "expected {hash}/{size} after \"blobs\"")
	}
	size, err := parseSize(segs[1])
	if err != nil {
		return digest.Digest{}, nil, badName(name, err.Error())
	}
	d, err := digest.New(instance, fn, segs[0], size)
	if err != nil {
		return digest.Digest{}, nil, err
	}
	return d, segs[2:], nil
}

// parseSize accepts only plain decimal digits: strconv alone would also
// take signs, which have no place in a resource name.
func parseSize(s string) (int64, error) {
	if s == "" {
		return 0, errors.New("empty size")
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("size %q is not a non-negative decimal number", s)
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("size %q: %w", s, err)
	}
	return n, nil
}

func badName(name, why string) error {
	return errkind.New(errkind.Invalid, "invalid resource name %q: %s", name, why)
}
