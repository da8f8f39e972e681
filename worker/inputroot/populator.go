package inputroot

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"golang.org/x/sync/errgroup"

	"github.com/sandbarn/sandbarn/errkind"
	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
	"github.com/sandbarn/sandbarn/worker/filecache"
)

// maxDirectorySize bounds one Directory message, so a bogus digest cannot
// make the worker allocate without limit.
const maxDirectorySize = 64 << 20

// Populator materialises input roots. It is safe for concurrent use by
// several slots.
type Populator struct {
	cas         storage.BlobAccess
	cache       *filecache.Cache
	concurrency int
	// allowExternalSymlinks lets symlinks point outside the input root, for
	// farms whose clients rely on absolute symlinks into the rootfs.
	allowExternalSymlinks bool
}

// NewPopulator returns a Populator that reads from cas through cache,
// running up to concurrency downloads or links at once.
func NewPopulator(cas storage.BlobAccess, cache *filecache.Cache, concurrency int, allowExternalSymlinks bool) *Populator {
	if concurrency < 1 {
		concurrency = 1
	}
	return &Populator{cas: cas, cache: cache, concurrency: concurrency, allowExternalSymlinks: allowExternalSymlinks}
}

// fileJob is one input file to link into place.
type fileJob struct {
	d          digest.Digest
	executable bool
	dst        string
}

// Populate fills the existing empty directory dst with the tree rooted at
// root. Missing blobs give FAILED_PRECONDITION with violations, an invalid
// tree errkind.Invalid; other errors keep their kinds.
func (p *Populator) Populate(ctx context.Context, instance string, fn remoteexecution.DigestFunction_Value, root *remoteexecution.Digest, dst string) error {
	rootDigest, err := digest.FromProto(instance, fn, root)
	if err != nil {
		return err
	}
	dirs, missing, err := p.fetchTree(ctx, rootDigest)
	if err != nil {
		return err
	}
	if missing.err() != nil {
		return p.reportMissingFiles(ctx, rootDigest, dirs, missing)
	}
	key := func(d *remoteexecution.Digest) string { return digest.Digest{Hash: d.Hash, Size: d.SizeBytes}.Key() }
	r := &symlinkResolver{root: dirs[rootDigest.Key()], dirs: dirs, key: key}
	if err := checkSize(r); err != nil {
		return err
	}
	var jobs []fileJob
	if err := p.createTree(r, rootDigest, r.root, nil, dst, &jobs); err != nil {
		return err
	}
	failed, err := p.fetchSmallFiles(ctx, jobs, missing)
	if err != nil {
		return err
	}
	if err := p.linkFiles(ctx, jobs, failed, missing); err != nil {
		return err
	}
	return missing.err()
}

// createTree makes the directories and symlinks below dir and lists the
// files to link. Directories are world-writable because the action, which
// may run as another user, writes its outputs into them.
func (p *Populator) createTree(r *symlinkResolver, rootDigest digest.Digest, dir *remoteexecution.Directory, path []string, dst string, jobs *[]fileJob) error {
	for _, f := range dir.Files {
		d, err := digest.FromProto(rootDigest.Instance, rootDigest.Function, f.Digest)
		if err != nil {
			return errkind.New(errkind.Invalid, "input file %q: %w", strings.Join(append(path, f.Name), "/"), err)
		}
		*jobs = append(*jobs, fileJob{d: d, executable: f.IsExecutable, dst: filepath.Join(dst, f.Name)})
	}
	for _, s := range dir.Symlinks {
		if !p.allowExternalSymlinks && !r.staysInside(path, s.Target) {
			return errkind.New(errkind.Invalid, "input symlink %q with target %q leaves the input root", strings.Join(append(path, s.Name), "/"), s.Target)
		}
		if err := os.Symlink(s.Target, filepath.Join(dst, s.Name)); err != nil {
			return fmt.Errorf("create input symlink: %w", err)
		}
	}
	for _, sub := range dir.Directories {
		child := r.dirs[r.key(sub.Digest)]
		subDst := filepath.Join(dst, sub.Name)
		if err := os.Mkdir(subDst, 0o777); err != nil {
			return fmt.Errorf("create input directory: %w", err)
		}
		if err := os.Chmod(subDst, 0o777); err != nil {
			return fmt.Errorf("create input directory: %w", err)
		}
		if err := p.createTree(r, rootDigest, child, append(path, sub.Name), subDst, jobs); err != nil {
			return err
		}
	}
	return nil
}

// fetchSmallFiles downloads the small files the cache lacks in batches
// before linking, so that a cold cache costs a few round trips rather than
// one per file. Missing blobs are recorded; any other per-file error stops
// population. It returns the files not to link.
func (p *Populator) fetchSmallFiles(ctx context.Context, jobs []fileJob, missing *missingBlobs) (map[filecache.Blob]error, error) {
	blobs := make([]filecache.Blob, len(jobs))
	for i, j := range jobs {
		blobs[i] = filecache.Blob{Digest: j.d, Executable: j.executable}
	}
	failed, err := p.cache.Fetch(ctx, p.cas, blobs, p.concurrency)
	if err != nil {
		return nil, err
	}
	for _, b := range blobs {
		ferr, ok := failed[b]
		if !ok {
			continue
		}
		if !errkind.Is(ferr, errkind.NotFound) {
			return nil, fmt.Errorf("fetch input file %s: %w", b.Digest, ferr)
		}
		missing.add(b.Digest)
	}
	return failed, nil
}

// linkFiles links the files in parallel, skipping those whose fetch failed.
// NotFound is recorded as a missing blob so that one run reports every
// missing file; other errors stop.
func (p *Populator) linkFiles(ctx context.Context, jobs []fileJob, failed map[filecache.Blob]error, missing *missingBlobs) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(p.concurrency)
	for _, j := range jobs {
		if _, ok := failed[filecache.Blob{Digest: j.d, Executable: j.executable}]; ok {
			continue
		}
		g.Go(func() error {
			err := p.cache.Link(ctx, p.cas, j.d, j.executable, j.dst)
			if errkind.Is(err, errkind.NotFound) {
				missing.add(j.d)
				return nil
			}
			return err
		})
	}
	return g.Wait()
}

// reportMissingFiles is used when directories are missing: it adds the
// missing files of the directories that were found, so the client learns of
// as many missing blobs as possible in one round trip.
func (p *Populator) reportMissingFiles(ctx context.Context, rootDigest digest.Digest, dirs map[string]*remoteexecution.Directory, missing *missingBlobs) error {
	var files []digest.Digest
	for _, dir := range dirs {
		for _, f := range dir.Files {
			if d, err := digest.FromProto(rootDigest.Instance, rootDigest.Function, f.Digest); err == nil && d.Size > 0 {
				files = append(files, d)
			}
		}
	}
	absent, err := p.cas.FindMissing(ctx, files)
	if err != nil {
		return err
	}
	for _, d := range absent {
		missing.add(d)
	}
	return missing.err()
}
