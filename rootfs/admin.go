package rootfs

import (
	"context"
	"os"
	"sort"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/sandbarn/sandbarn/errkind"
)

// Image describes a stored tree for `sandbarn image ls`.
type Image struct {
	Digest    string
	Names     []string
	SizeBytes int64
	LastUsed  time.Time
	// InUse counts this process's users of the tree.
	InUse int
}

// List returns the stored images, most recently used first.
func (s *Store) List() ([]Image, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.loadLocked(); err != nil {
		return nil, err
	}
	var out []Image
	for _, e := range s.idx.entries {
		if _, err := os.Stat(e.dir); err != nil {
			s.idx.drop(e) // removed by another process
			continue
		}
		out = append(out, Image{Digest: e.meta.Digest, Names: e.meta.Names, SizeBytes: e.meta.SizeBytes, LastUsed: e.lastUsed, InUse: e.refs})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LastUsed.After(out[j].LastUsed) })
	return out, nil
}

// Remove deletes the tree a reference (tag, digest, or a bare
// "sha256:..." digest) names. It fails with errkind.Precondition while any
// process uses the tree, errkind.NotFound if none is stored.
func (s *Store) Remove(value string) error {
	s.mu.Lock()
	if err := s.loadLocked(); err != nil {
		s.mu.Unlock()
		return err
	}
	e := s.idx.digests[value]
	if e == nil {
		ref, err := ParseReference(value, s.cfg.InsecureRegistries)
		if err != nil {
			s.mu.Unlock()
			return err
		}
		e = s.idx.lookup(ref)
	}
	if e == nil {
		s.mu.Unlock()
		return errkind.New(errkind.NotFound, "image %q is not in the store", value)
	}
	if e.refs > 0 {
		s.mu.Unlock()
		return errkind.New(errkind.Precondition, "image %q is in use", value)
	}
	dir, err := s.retireLocked(e)
	s.mu.Unlock()
	if err == errInUse {
		return errkind.New(errkind.Precondition, "image %q is in use by another process", value)
	} else if err != nil {
		return err
	}
	s.deleteAll([]string{dir})
	return nil
}

// Pull fetches an image into the store without keeping it in use, and
// returns the reference pinned by digest.
func (s *Store) Pull(ctx context.Context, value string) (string, error) {
	t, err := s.Acquire(ctx, value)
	if err != nil {
		return "", err
	}
	if t == nil {
		return "", errkind.New(errkind.Invalid, "%q names no image", value)
	}
	defer t.Release()
	return t.Reference, nil
}

// Add unpacks an image that did not come from a registry (an offline
// import) under the given references, e.g. "gcr.io/x/y:tag". The tree
// is stored under img's manifest digest, and a reference to that digest
// is added to names. It returns the last pinned reference.
func (s *Store) Add(ctx context.Context, img v1.Image, names []name.Reference) (string, error) {
	d, err := img.Digest()
	if err != nil {
		return "", err
	}
	return s.add(ctx, img, d.String(), names)
}

// add stores img under digest, which for an image chosen from an index
// is the index's digest.
func (s *Store) add(ctx context.Context, img v1.Image, digest string, names []name.Reference) (string, error) {
	var all []string
	for _, n := range names {
		all = append(all, n.Name(), pinned(n.Context(), digest))
	}
	if len(all) == 0 {
		all = []string{digest}
	}
	err := s.flights.do(ctx, "digest "+digest, func(ctx context.Context) error {
		if s.addNames(digest, all) {
			return nil
		}
		return s.install(ctx, img, digest, all, newProgress(all[0], s.cfg.Logger))
	})
	if err != nil {
		return "", imageError(all[0], err)
	}
	return all[len(all)-1], nil
}
