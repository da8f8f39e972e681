package images

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// DirLayer returns a layer holding the tree below dir, as it would appear
// at / in a container. Use it to turn a debootstrap or busybox root
// filesystem into an image. Ownership, modes, symlinks and hardlinks are
// kept; device nodes, sockets and FIFOs are left out, because unpackers of
// unprivileged runners refuse them and /dev is provided by the sandbox.
//
// The tar stream is produced again each time the layer is read, walking
// the directory in sorted order, so the digest is stable as long as the
// tree does not change; no temporary file is needed.
func DirLayer(dir string) (v1.Layer, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("layer from directory: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("layer from directory: %s is not a directory", dir)
	}
	opener := func() (io.ReadCloser, error) {
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(writeDirTar(dir, pw)) }()
		return pr, nil
	}
	// Root filesystems are large and compressed several times while an
	// image is written; the fastest level keeps that bearable.
	return tarball.LayerFromOpener(opener, tarball.WithCompressionLevel(gzip.BestSpeed))
}

// inodeKey identifies a file for hardlink detection.
type inodeKey struct{ dev, ino uint64 }

// dirTarWriter writes one directory tree as a tar stream.
type dirTarWriter struct {
	root  string
	tw    *tar.Writer
	links map[inodeKey]string
}

func writeDirTar(root string, w io.Writer) error {
	d := &dirTarWriter{root: root, tw: tar.NewWriter(w), links: map[inodeKey]string{}}
	if err := d.walk("."); err != nil {
		return err
	}
	return d.tw.Close()
}

// walk writes rel (relative to the root) and, for directories, its
// entries in name order. filepath.WalkDir would do, but it does not let
// the stream be reproducible across filesystems with different orders,
// which ReadDir's sorting guarantees.
func (d *dirTarWriter) walk(rel string) error {
	full := filepath.Join(d.root, rel)
	info, err := os.Lstat(full)
	if err != nil {
		return err
	}
	if rel != "." {
		if err := d.writeEntry(rel, full, info); err != nil {
			return fmt.Errorf("%s: %w", full, err)
		}
	}
	if !info.IsDir() {
		return nil
	}
	entries, err := os.ReadDir(full)
	if err != nil {
		return err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		if err := d.walk(filepath.Join(rel, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

func (d *dirTarWriter) writeEntry(rel, full string, info fs.FileInfo) error {
	mode := info.Mode()
	if mode&(fs.ModeDevice|fs.ModeCharDevice|fs.ModeNamedPipe|fs.ModeSocket) != 0 {
		return nil
	}
	link := ""
	if mode&fs.ModeSymlink != 0 {
		target, err := os.Readlink(full)
		if err != nil {
			return err
		}
		link = target
	}
	hdr, err := tar.FileInfoHeader(info, link)
	if err != nil {
		return err
	}
	hdr.Name = filepath.ToSlash(rel)
	if info.IsDir() {
		hdr.Name += "/"
	}
	// Names of the build machine's users mean nothing in the image.
	hdr.Uname, hdr.Gname = "", ""
	// Reading the tree changes access times; keeping them (or ctimes) in
	// PAX records would give every read a new digest.
	hdr.AccessTime, hdr.ChangeTime = time.Time{}, time.Time{}
	hdr.Format = tar.FormatPAX
	if st, ok := info.Sys().(*syscall.Stat_t); ok && mode.IsRegular() && st.Nlink > 1 {
		key := inodeKey{uint64(st.Dev), st.Ino}
		if first, seen := d.links[key]; seen {
			hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
			return d.tw.WriteHeader(hdr)
		}
		d.links[key] = hdr.Name
	}
	if err := d.tw.WriteHeader(hdr); err != nil {
		return err
	}
	if !mode.IsRegular() {
		return nil
	}
	return d.copyFile(full)
}

func (d *dirTarWriter) copyFile(full string) error {
	f, err := os.Open(full)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(d.tw, f)
	return err
}
