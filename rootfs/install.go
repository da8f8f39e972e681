package rootfs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/sandbarn/sandbarn/rootfs/skeleton"
	"github.com/sandbarn/sandbarn/rootfs/unpack"
)

// install unpacks img into a temporary directory and renames it into
// place complete with its meta.json: only that rename makes it a tree.
func (s *Store) install(ctx context.Context, img v1.Image, digest string, names []string, p *progress) (err error) {
	m := meta{Digest: digest, Names: names, Created: s.cfg.Now()}
	if d, err := img.Digest(); err == nil && d.String() != digest {
		m.Aliases = []string{d.String()}
	}
	if err := p.setLayers(img); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(s.temp, tempPrefix())
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			forceRemove(tmp)
		}
	}()
	// MkdirTemp makes it 0700; the sandbox's uids must reach the tree.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	root := filepath.Join(tmp, "rootfs")
	if err := s.unpackInto(ctx, img, root, p); err != nil {
		return err
	}
	if m.SizeBytes, err = diskUsage(tmp); err != nil {
		return err
	}
	if err := writeMeta(tmp, m); err != nil {
		return err
	}
	final := filepath.Join(s.trees, hexOf(digest))
	if err := os.Rename(tmp, final); err != nil {
		if !errors.Is(err, syscall.EEXIST) && !errors.Is(err, syscall.ENOTEMPTY) {
			return err
		}
		// Another process finished the same image first; use theirs.
		forceRemove(tmp)
	}
	// No eviction here: the new tree is not in use until its waiters
	// take it, and they evict once they hold it.
	s.mu.Lock()
	err = s.loadLocked()
	s.mu.Unlock()
	p.finished(digest, m.SizeBytes)
	return err
}

func (s *Store) unpackInto(ctx context.Context, img v1.Image, root string, p *progress) error {
	own := treeOwner{chown: *s.cfg.Chown, uid: int(s.cfg.FirstHostUID)}
	if err := own.mkdir(root); err != nil {
		return err
	}
	stop := p.every(s.cfg.ProgressInterval)
	defer stop()
	opts := unpack.Options{Chown: *s.cfg.Chown, FirstHostUID: s.cfg.FirstHostUID, UIDCount: s.cfg.UIDCount, Progress: p.unpacked}
	if err := unpack.Image(ctx, img, root, opts); err != nil {
		return err
	}
	// The sandbox mounts over these; creating them now keeps the
	// read-only tree from needing changes at container creation.
	for _, dir := range skeleton.MountPoints() {
		if err := mountPoint(root, dir, own); err != nil {
			return err
		}
	}
	return nil
}

// mountPoint creates dir (relative) and its parents where missing,
// leaving whatever the image put there. Only this process writes the
// temporary tree, so a symbolic link seen here stays one.
func mountPoint(root, dir string, own treeOwner) error {
	cur := root
	for _, c := range strings.Split(dir, "/") {
		cur = filepath.Join(cur, c)
		info, err := os.Lstat(cur)
		if errors.Is(err, os.ErrNotExist) {
			if err := own.mkdir(cur); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		if !info.IsDir() {
			return nil // the image's own choice; the sandbox copes or says why
		}
	}
	return nil
}

// treeOwner is who owns the directories the store creates in a tree:
// sandbox root (the first host uid of the mapping) when chown is set.
type treeOwner struct {
	chown bool
	uid   int
}

// mkdir creates a 0755 directory owned by the tree's owner.
func (o treeOwner) mkdir(dir string) error {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	if o.chown {
		return os.Lchown(dir, o.uid, o.uid)
	}
	return nil
}

// diskUsage is the space a tree takes, counting hard-linked files once.
func diskUsage(dir string) (int64, error) {
	seen := map[uint64]bool{}
	var total int64
	err := filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		st, ok := info.Sys().(*syscall.Stat_t)
		if !ok || seen[st.Ino] {
			return nil
		}
		seen[st.Ino] = true
		total += st.Blocks * 512
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("measuring %s: %w", dir, err)
	}
	return total, nil
}
