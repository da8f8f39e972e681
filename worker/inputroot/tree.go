package inputroot

import (
	"context"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"google.golang.org/protobuf/proto"

	"github.com/sandbarn/sandbarn/errkind"
	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
)

// fetchTree reads every Directory of the tree, one level at a time with the
// reads of a level batched, each distinct digest once. Directories that
// the CAS lacks are recorded as missing rather than failing the walk.
func (p *Populator) fetchTree(ctx context.Context, root digest.Digest) (map[string]*remoteexecution.Directory, *missingBlobs, error) {
	dirs := map[string]*remoteexecution.Directory{}
	missing := &missingBlobs{}
	level := []digest.Digest{root}
	queued := map[string]bool{root.Key(): true}
	for len(level) > 0 {
		fetched, err := p.fetchLevel(ctx, level, missing)
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
					return nil, nil, errkind.New(errkind.Invalid, "input directory %q in %s: %w", sub.Name, level[i], err)
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

// fetchLevel reads the directories of one level in a batch read and
// returns them in the order of level, nil where the CAS lacks one.
func (p *Populator) fetchLevel(ctx context.Context, level []digest.Digest, missing *missingBlobs) ([]*remoteexecution.Directory, error) {
	index := make(map[digest.Digest]int, len(level))
	for i, d := range level {
		if d.Size > maxDirectorySize {
			return nil, errkind.New(errkind.Invalid, "input directory %s is larger than the limit of %d bytes", d, maxDirectorySize)
		}
		index[d] = i
	}
	fetched := make([]*remoteexecution.Directory, len(level))
	err := storage.GetBatch(ctx, p.cas, level, p.concurrency, func(d digest.Digest, data []byte, err error) error {
		if errkind.Is(err, errkind.NotFound) {
			missing.add(d)
			return nil
		}
		if err != nil {
			return err
		}
		dir := &remoteexecution.Directory{}
		if err := proto.Unmarshal(data, dir); err != nil {
			return errkind.New(errkind.Invalid, "input directory %s is not a valid Directory: %w", d, err)
		}
		if err := validateDirectory(dir); err != nil {
			return errkind.New(errkind.Invalid, "input directory %s: %w", d, err)
		}
		i, ok := index[d]
		if !ok {
			return errkind.New(errkind.Internal, "batch read returned directory %s, which was not asked for", d)
		}
		// Each index is written by one call only, so no lock is needed.
		fetched[i] = dir
		return nil
	})
	return fetched, err
}
