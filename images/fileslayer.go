package images

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// File is one regular file to put in an image: Source is a path on the
// build machine, Path the absolute path inside the image.
type File struct {
	Source string
	Path   string
	Mode   int64
}

// layerEpoch is the modification time of every entry of a FilesLayer, so
// rebuilding the same binaries gives the same layer digest.
var layerEpoch = time.Unix(0, 0).UTC()

// FilesLayer returns a layer holding files at their image paths, with
// the parent directories they need, owned by root. Use it to add program
// binaries and configuration to a base image.
func FilesLayer(files []File) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	sorted := append([]File(nil), files...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
	dirs := map[string]bool{}
	for _, f := range sorted {
		if !path.IsAbs(f.Path) || path.Clean(f.Path) != f.Path {
			return nil, fmt.Errorf("image path %q must be absolute and clean", f.Path)
		}
		if err := writeParents(tw, dirs, path.Dir(f.Path)); err != nil {
			return nil, err
		}
		if err := writeFile(tw, f); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
}

// writeParents writes the directory entries above a file once each,
// outermost first, as unpackers expect.
func writeParents(tw *tar.Writer, done map[string]bool, dir string) error {
	if dir == "/" || done[dir] {
		return nil
	}
	if err := writeParents(tw, done, path.Dir(dir)); err != nil {
		return err
	}
	done[dir] = true
	return tw.WriteHeader(&tar.Header{
		Typeflag: tar.TypeDir,
		Name:     strings.TrimPrefix(dir, "/") + "/",
		Mode:     0o755,
		ModTime:  layerEpoch,
	})
}

func writeFile(tw *tar.Writer, f File) error {
	data, err := os.ReadFile(f.Source)
	if err != nil {
		return err
	}
	mode := f.Mode
	if mode == 0 {
		mode = 0o644
	}
	hdr := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     strings.TrimPrefix(f.Path, "/"),
		Mode:     mode,
		Size:     int64(len(data)),
		ModTime:  layerEpoch,
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	_, err = tw.Write(data)
	return err
}
