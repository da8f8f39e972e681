package unpack

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

const (
	whiteoutPrefix = ".wh."
	opaqueMarker   = ".wh..wh..opq"
)

// applier holds the state of one layer being applied.
type applier struct {
	root  string
	index int
	opts  Options
	// added holds the paths (relative, cleaned) this layer created and
	// their ancestors, which an opaque marker in this layer must keep.
	added map[string]bool
	// dirs get their mode and times after the layer's entries are in,
	// so a read-only directory can still be filled and its mtime is not
	// disturbed by its children.
	dirs []dirMeta
}

type dirMeta struct {
	path  string
	mode  fs.FileMode
	mtime time.Time
}

// Layer applies one uncompressed layer (a tar stream) to dir. index only
// labels errors and progress.
func Layer(ctx context.Context, r io.Reader, dir string, index int, opts Options) error {
	a := &applier{root: dir, index: index, opts: opts, added: map[string]bool{}}
	tr := tar.NewReader(&progressReader{ctx: ctx, r: r, layer: index, report: opts.Progress})
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("layer %d: reading tar: %w", index, err)
		}
		if err := a.entry(hdr, tr); err != nil {
			return err
		}
	}
	return a.finishDirs()
}

func (a *applier) fail(name, format string, args ...any) error {
	return &EntryError{Layer: a.index, Name: name, Reason: fmt.Sprintf(format, args...)}
}

func (a *applier) entry(hdr *tar.Header, content io.Reader) error {
	rel, err := cleanName(hdr.Name)
	if err != nil {
		return a.fail(hdr.Name, "%v", err)
	}
	if rel == "" {
		return nil // the root directory itself: ours, not the image's
	}
	parent, base := path.Split(rel)
	parent = strings.TrimSuffix(parent, "/")
	if err := a.makeParents(hdr.Name, parent); err != nil {
		return err
	}
	switch {
	case base == opaqueMarker:
		return a.clearLower(hdr.Name, parent)
	case strings.HasPrefix(base, whiteoutPrefix):
		return a.whiteout(hdr.Name, parent, strings.TrimPrefix(base, whiteoutPrefix))
	}
	a.markAdded(rel)
	full := a.full(rel)
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeRegA:
		return a.regular(hdr, full, content)
	case tar.TypeDir:
		return a.directory(hdr, full)
	case tar.TypeSymlink:
		return a.symlink(hdr, full)
	case tar.TypeLink:
		return a.hardlink(hdr, full)
	case tar.TypeFifo:
		return a.fifo(hdr, full)
	default:
		// Device nodes would give the sandbox raw hardware access, and
		// the sandbox provides its own /dev; other types carry no file.
		return nil
	}
}

// cleanName turns a tar name into a path relative to the tree, refusing
// absolute names and any ".." component (even one that Clean would
// cancel out: such names only appear in crafted archives).
func cleanName(name string) (string, error) {
	if strings.HasPrefix(name, "/") {
		return "", errors.New("absolute path")
	}
	for _, c := range strings.Split(name, "/") {
		if c == ".." {
			return "", errors.New(`path contains ".."`)
		}
	}
	clean := path.Clean(name)
	if clean == "." {
		return "", nil
	}
	return clean, nil
}

func (a *applier) full(rel string) string {
	return filepath.Join(a.root, filepath.FromSlash(rel))
}

// makeParents walks rel's ancestors below the root. A missing one is
// created as root-owned 0755 (as Docker does); a symbolic link or a
// non-directory fails the entry, so no entry ever lands through a link
// that a previous entry planted. Only this process writes to the tree,
// so what Lstat sees cannot change before the entry is written.
func (a *applier) makeParents(name, rel string) error {
	if rel == "" {
		return nil
	}
	cur := ""
	for _, c := range strings.Split(rel, "/") {
		cur = path.Join(cur, c)
		full := a.full(cur)
		info, err := os.Lstat(full)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if err := os.Mkdir(full, 0o755); err != nil {
				return fmt.Errorf("layer %d: %w", a.index, err)
			}
			if err := a.chown(name, full, 0, 0); err != nil {
				return err
			}
		case err != nil:
			return fmt.Errorf("layer %d: %w", a.index, err)
		case info.Mode()&fs.ModeSymlink != 0:
			return a.fail(name, "goes through symbolic link %q", cur)
		case !info.IsDir():
			return a.fail(name, "parent %q is not a directory", cur)
		}
	}
	return nil
}

// checkExisting is makeParents for a path that must already exist (a
// hardlink target): no component may be a symbolic link.
func (a *applier) checkExisting(name, rel string) (fs.FileInfo, error) {
	cur := ""
	var info fs.FileInfo
	for _, c := range strings.Split(rel, "/") {
		cur = path.Join(cur, c)
		var err error
		if info, err = os.Lstat(a.full(cur)); err != nil {
			return nil, a.fail(name, "link target %q does not exist in the image", rel)
		}
		if info.Mode()&fs.ModeSymlink != 0 && cur != rel {
			return nil, a.fail(name, "link target goes through symbolic link %q", cur)
		}
	}
	return info, nil
}

func (a *applier) markAdded(rel string) {
	for rel != "." && rel != "" && !a.added[rel] {
		a.added[rel] = true
		rel = path.Dir(rel)
	}
}

// whiteout deletes a lower layer's entry named target in parent.
func (a *applier) whiteout(name, parent, target string) error {
	if target == "" || target == "." || target == ".." || strings.HasPrefix(target, whiteoutPrefix) {
		return a.fail(name, "malformed whiteout")
	}
	// RemoveAll does not follow a symbolic link at the final component.
	if err := os.RemoveAll(a.full(path.Join(parent, target))); err != nil {
		return fmt.Errorf("layer %d: whiteout %q: %w", a.index, name, err)
	}
	return nil
}

// clearLower makes dir opaque: everything lower layers put in it goes,
// what this layer added stays.
func (a *applier) clearLower(name, dir string) error {
	entries, err := os.ReadDir(a.full(dir))
	if err != nil {
		return fmt.Errorf("layer %d: opaque %q: %w", a.index, name, err)
	}
	for _, e := range entries {
		child := path.Join(dir, e.Name())
		if !a.added[child] {
			if err := os.RemoveAll(a.full(child)); err != nil {
				return fmt.Errorf("layer %d: opaque %q: %w", a.index, name, err)
			}
			continue
		}
		if e.IsDir() && e.Type()&fs.ModeSymlink == 0 {
			if err := a.clearLower(name, child); err != nil {
				return err
			}
		}
	}
	return nil
}

// replace removes whatever a lower layer left at full, except a directory
// when a directory is wanted (its contents stay, as in Docker).
func (a *applier) replace(full string, keepDir bool) (exists bool, err error) {
	info, err := os.Lstat(full)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	if keepDir && info.IsDir() {
		return true, nil
	}
	return false, os.RemoveAll(full)
}
