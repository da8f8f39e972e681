package storage

import (
	"context"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"

	"github.com/sandbarn/sandbarn/errkind"
	"github.com/sandbarn/sandbarn/storage/digest"
)

// ActionResultBlobs lists the CAS blobs a client needs to use an
// ActionResult: output files, output directory trees, stdout and stderr.
func ActionResultBlobs(instance string, fn remoteexecution.DigestFunction_Value, r *remoteexecution.ActionResult) ([]digest.Digest, error) {
	var protos []*remoteexecution.Digest
	for _, f := range r.OutputFiles {
		if f.Digest == nil {
			return nil, errkind.New(errkind.Invalid, "output file %q has no digest", f.Path)
		}
		protos = append(protos, f.Digest)
	}
	for _, dir := range r.OutputDirectories {
		if dir.TreeDigest == nil {
			return nil, errkind.New(errkind.Invalid, "output directory %q has no tree digest", dir.Path)
		}
		protos = append(protos, dir.TreeDigest)
		if dir.RootDirectoryDigest != nil {
			protos = append(protos, dir.RootDirectoryDigest)
		}
	}
	for _, p := range []*remoteexecution.Digest{r.StdoutDigest, r.StderrDigest} {
		if p != nil {
			protos = append(protos, p)
		}
	}
	out := make([]digest.Digest, 0, len(protos))
	for _, p := range protos {
		d, err := digest.FromProto(instance, fn, p)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// ActionResultComplete reports whether every blob the result references is
// in the CAS, so that a cached result is only served when the client can
// download all of it.
func ActionResultComplete(ctx context.Context, cas BlobAccess, instance string, fn remoteexecution.DigestFunction_Value, r *remoteexecution.ActionResult) (bool, error) {
	refs, err := ActionResultBlobs(instance, fn, r)
	if err != nil {
		return false, err
	}
	missing, err := cas.FindMissing(ctx, refs)
	if err != nil {
		return false, err
	}
	return len(missing) == 0, nil
}
