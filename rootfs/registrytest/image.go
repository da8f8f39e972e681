package registrytest

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/compression"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Entry is one tar entry of a crafted layer. Type defaults to a regular
// file, Mode to 0644 (0755 for directories).
type Entry struct {
	Name     string
	Type     byte
	Mode     int64
	Body     []byte
	Linkname string
	UID, GID int
}

// File, Dir, Symlink and Hardlink are shorthands for common entries.
func File(name, body string) Entry { return Entry{Name: name, Body: []byte(body)} }

// Dir is a directory entry with mode 0755.
func Dir(name string) Entry { return Entry{Name: name, Type: tar.TypeDir} }

// Symlink is a symbolic link entry.
func Symlink(name, target string) Entry {
	return Entry{Name: name, Type: tar.TypeSymlink, Linkname: target}
}

// Hardlink is a hard link entry.
func Hardlink(name, target string) Entry {
	return Entry{Name: name, Type: tar.TypeLink, Linkname: target}
}

// Tar writes entries as an uncompressed tar stream, exactly as given (no
// name cleaning), so malicious names reach the unpacker unchanged.
func Tar(entries ...Entry) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{
			Name: e.Name, Typeflag: e.Type, Mode: e.Mode, Linkname: e.Linkname,
			Uid: e.UID, Gid: e.GID, ModTime: time.Unix(1_700_000_000, 0), Format: tar.FormatPAX,
		}
		if hdr.Typeflag == 0 {
			hdr.Typeflag = tar.TypeReg
		}
		if hdr.Typeflag == tar.TypeReg {
			hdr.Size = int64(len(e.Body))
		}
		if hdr.Mode == 0 {
			hdr.Mode = 0o644
			if hdr.Typeflag == tar.TypeDir {
				hdr.Mode = 0o755
			}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.Body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Layer makes a gzip layer of entries.
func Layer(entries ...Entry) (v1.Layer, error) {
	return LayerWith(compression.GZip, entries...)
}

// LayerWith makes a layer of entries compressed with c (gzip or zstd).
func LayerWith(c compression.Compression, entries ...Entry) (v1.Layer, error) {
	b, err := Tar(entries...)
	if err != nil {
		return nil, err
	}
	return FromTar(b, c)
}

// FromTar makes a layer from an uncompressed tar stream.
func FromTar(b []byte, c compression.Compression) (v1.Layer, error) {
	opener := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	return tarball.LayerFromOpener(opener, tarball.WithCompression(c), tarball.WithCompressedCaching)
}

// Image stacks layers, bottom first, on an empty linux/amd64 image.
func Image(layers ...v1.Layer) (v1.Image, error) {
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", "amd64"
	return mutate.ConfigFile(img, cfg)
}

// BusyboxPath is where Debian's busybox-static installs the binary.
const BusyboxPath = "/bin/busybox"

// BusyboxApplets are linked to busybox in the image's /bin.
var BusyboxApplets = []string{"sh", "ls", "cat", "echo", "true", "false", "id", "env", "mkdir", "rm", "touch", "stat"}

// Busybox builds a one-layer image with the host's static busybox as
// /bin/busybox, applet symlinks, /etc/os-release naming it, and an empty
// /tmp. It fails if busybox-static is not installed.
func Busybox() (v1.Image, error) {
	bin, err := os.ReadFile(BusyboxPath)
	if err != nil {
		return nil, err
	}
	entries := []Entry{
		Dir("bin"), Dir("etc"), {Name: "tmp", Type: tar.TypeDir, Mode: 0o1777},
		{Name: "bin/busybox", Mode: 0o755, Body: bin},
		File("etc/os-release", "ID=busybox\nNAME=\"Sandbarn test busybox\"\n"),
		File("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/tmp:/bin/sh\n"),
	}
	for _, a := range BusyboxApplets {
		entries = append(entries, Symlink("bin/"+a, "busybox"))
	}
	layer, err := Layer(entries...)
	if err != nil {
		return nil, err
	}
	return Image(layer)
}
