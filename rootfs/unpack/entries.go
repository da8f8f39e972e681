package unpack

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

func (a *applier) regular(hdr *tar.Header, full string, content io.Reader) error {
	if _, err := a.replace(full, false); err != nil {
		return a.ioError(hdr.Name, err)
	}
	f, err := os.OpenFile(full, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return a.ioError(hdr.Name, err)
	}
	_, err = io.Copy(f, content)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return a.ioError(hdr.Name, err)
	}
	return a.metadata(hdr, full)
}

func (a *applier) directory(hdr *tar.Header, full string) error {
	exists, err := a.replace(full, true)
	if err != nil {
		return a.ioError(hdr.Name, err)
	}
	if !exists {
		if err := os.Mkdir(full, 0o700); err != nil {
			return a.ioError(hdr.Name, err)
		}
	}
	if err := a.chown(hdr.Name, full, hdr.Uid, hdr.Gid); err != nil {
		return err
	}
	a.dirs = append(a.dirs, dirMeta{path: full, mode: modeOf(hdr), mtime: hdr.ModTime})
	return nil
}

// symlink creates the link as it is: its target is only ever resolved
// inside the sandbox, and entries that would go through it are refused.
func (a *applier) symlink(hdr *tar.Header, full string) error {
	if _, err := a.replace(full, false); err != nil {
		return a.ioError(hdr.Name, err)
	}
	if err := os.Symlink(hdr.Linkname, full); err != nil {
		return a.ioError(hdr.Name, err)
	}
	if err := a.chown(hdr.Name, full, hdr.Uid, hdr.Gid); err != nil {
		return err
	}
	return a.times(hdr.Name, full, hdr.ModTime)
}

// hardlink links to an entry already in the tree; the target is checked
// like an entry name so it cannot reach outside the tree.
func (a *applier) hardlink(hdr *tar.Header, full string) error {
	target, err := cleanName(hdr.Linkname)
	if err != nil {
		return a.fail(hdr.Name, "hard link target %q: %v", hdr.Linkname, err)
	}
	if target == "" {
		return a.fail(hdr.Name, "hard link to the root directory")
	}
	info, err := a.checkExisting(hdr.Name, target)
	if err != nil {
		return err
	}
	if info.IsDir() {
		return a.fail(hdr.Name, "hard link to directory %q", target)
	}
	if _, err := a.replace(full, false); err != nil {
		return a.ioError(hdr.Name, err)
	}
	// link(2) without AT_SYMLINK_FOLLOW links a symbolic link itself,
	// never what it points to.
	if err := os.Link(a.full(target), full); err != nil {
		return a.ioError(hdr.Name, err)
	}
	return nil
}

func (a *applier) fifo(hdr *tar.Header, full string) error {
	if _, err := a.replace(full, false); err != nil {
		return a.ioError(hdr.Name, err)
	}
	if err := unix.Mkfifo(full, 0o600); err != nil {
		return a.ioError(hdr.Name, err)
	}
	return a.metadata(hdr, full)
}

// metadata sets owner, then mode (chown clears setuid bits, so mode goes
// second), then times. Setuid bits are kept: the sandbox runs actions
// with no_new_privs, which makes them inert.
func (a *applier) metadata(hdr *tar.Header, full string) error {
	if err := a.chown(hdr.Name, full, hdr.Uid, hdr.Gid); err != nil {
		return err
	}
	if err := os.Chmod(full, modeOf(hdr)); err != nil {
		return a.ioError(hdr.Name, err)
	}
	return a.times(hdr.Name, full, hdr.ModTime)
}

func modeOf(hdr *tar.Header) fs.FileMode {
	m := hdr.FileInfo().Mode()
	return m & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
}

// chown maps an image uid/gid into the sandbox's host range.
func (a *applier) chown(name, full string, uid, gid int) error {
	if !a.opts.Chown {
		return nil
	}
	if uid < 0 || gid < 0 || uint64(uid) >= uint64(a.opts.UIDCount) || uint64(gid) >= uint64(a.opts.UIDCount) {
		return a.fail(name, "owner %d:%d is outside the %d ids the sandbox maps", uid, gid, a.opts.UIDCount)
	}
	first := int(a.opts.FirstHostUID)
	if err := os.Lchown(full, first+uid, first+gid); err != nil {
		return a.ioError(name, err)
	}
	return nil
}

func (a *applier) times(name, full string, mtime time.Time) error {
	if mtime.IsZero() {
		return nil
	}
	ts := unix.NsecToTimespec(mtime.UnixNano())
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, full, []unix.Timespec{ts, ts}, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return a.ioError(name, err)
	}
	return nil
}

// finishDirs applies directory modes and times deepest first, after all
// of the layer's entries are written.
func (a *applier) finishDirs() error {
	for i := len(a.dirs) - 1; i >= 0; i-- {
		d := a.dirs[i]
		if err := os.Chmod(d.path, d.mode); err != nil {
			return a.ioError(filepath.Base(d.path), err)
		}
		if err := a.times(d.path, d.path, d.mtime); err != nil {
			return err
		}
	}
	return nil
}

// ioError is a failure of this machine (disk full, permissions), not of
// the image.
func (a *applier) ioError(name string, err error) error {
	return fmt.Errorf("layer %d: entry %q: %w", a.index, name, err)
}
