package inputroot

import (
	"context"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// fetchTree reads every Directory of the tree, one level at a time with the
// reads of a level in parallel, each distinct digest once. Directories that
// the CAS lacks are recorded as missing rather than failing the walk.
func (p *Populator) fetchTree(ctx context.Context, root digest.Digest) (map[string]*remoteexecution.Directory, *missingBlobs, error) {
	dirs := map[string]*remoteexecution.Directory{}
	missing := &missingBlobs{}
	level := []digest.Digest{root}
	queued := map[string]bool{root.Key(): true}
	for len(level) > 0 {
		fetched := make([]*remoteexecution.Directory, len(level))
		err := forEach(ctx, p.concurrency, len(level), func(ctx context.Context, i int) error {
			dir := &remoteexecution.Directory{}
			err := storage.GetProto(ctx, p.cas, level[i], maxDirectorySize, dir)
			if status.Code(err) == codes.NotFound {
				missing.add(level[i])
				return nil
			}
			if err != nil {
				return err
			}
			if err := validateDirectory(dir); err != nil {
				return status.Errorf(codes.InvalidArgument, "input directory %s: %v", level[i], status.Convert(err).Message())
			}
			fetched[i] = dir
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
		var next []digest.Digest
		for i, dir := range fetched {
			if dir == nil {
				continue
			}
			dirs[level[i].Key()] = dir
			for _, sub := range dir.Directories {
				d, err := digest.FromProto(root.Instance, root.Function, sub.Digest)
				if err != nil {
					return nil, nil, status.Errorf(codes.InvalidArgument, "input directory %q in %s: %v", sub.Name, level[i], status.Convert(err).Message())
				}
				if !queued[d.Key()] {
					queued[d.Key()] = true
					next = append(next, d)
				}
			}
		}
		level = next
	}
	return dirs, missing, nil
}
