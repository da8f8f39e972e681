package outputs

import (
	"fmt"
	"os"
	"path/filepath"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"github.com/sandbarn/sandbarn/storage/digest"
	"google.golang.org/protobuf/proto"
)

// treeDigests are the ways one output directory is stored.
type treeDigests struct {
	tree digest.Digest
	// root is the root Directory's digest, set only when every Directory
	// was also stored on its own (output_directory_format DIRECTORY_ONLY or
	// TREE_AND_DIRECTORY).
	root *digest.Digest
}

// addTree turns the directory at path into a Tree message, adds the files
// and the Tree to blobs, and returns the Tree's digest. With
// withDirectories, each Directory message is added as a blob of its own
// too, for clients that fetch output directories level by level. The Tree
// is made either way: it is what the Action Cache serves to REAPI 2.0
// clients asking for the same action later.
func addTree(blobs *BlobSet, path string, withDirectories bool) (treeDigests, error) {
	children := map[string]*remoteexecution.Directory{}
	var order []string
	root, err := buildDirectory(blobs, path, children, &order, withDirectories)
	if err != nil {
		return treeDigests{}, err
	}
	tree := &remoteexecution.Tree{Root: root}
	for _, k := range order {
		tree.Children = append(tree.Children, children[k])
	}
	var out treeDigests
	if withDirectories {
		d, err := blobs.AddProto(root)
		if err != nil {
			return treeDigests{}, err
		}
		out.root = &d
	}
	out.tree, err = blobs.AddProto(tree)
	return out, err
}

// buildDirectory returns the Directory message for path, recording each
// distinct subdirectory once in children. os.ReadDir sorts by name, which
// gives the order REAPI requires.
func buildDirectory(blobs *BlobSet, path string, children map[string]*remoteexecution.Directory, order *[]string, withDirectories bool) (*remoteexecution.Directory, error) {
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("read output directory: %w", err)
	}
	dir := &remoteexecution.Directory{}
	for _, e := range entries {
		full := filepath.Join(path, e.Name())
		switch t := e.Type(); {
		case t&os.ModeSymlink != 0:
			target, err := os.Readlink(full)
			if err != nil {
				return nil, fmt.Errorf("read output symlink: %w", err)
			}
			dir.Symlinks = append(dir.Symlinks, &remoteexecution.SymlinkNode{Name: e.Name(), Target: target})
		case t.IsDir():
			child, err := buildDirectory(blobs, full, children, order, withDirectories)
			if err != nil {
				return nil, err
			}
			data, err := proto.MarshalOptions{Deterministic: true}.Marshal(child)
			if err != nil {
				return nil, fmt.Errorf("marshal output directory: %w", err)
			}
			// Hashed once: the blob set keeps each digest once anyway.
			var d digest.Digest
			if withDirectories {
				d = blobs.AddBytes(data)
			} else {
				d = digest.OfBytes("", data)
			}
			if _, ok := children[d.Key()]; !ok {
				children[d.Key()] = child
				*order = append(*order, d.Key())
			}
			dir.Directories = append(dir.Directories, &remoteexecution.DirectoryNode{Name: e.Name(), Digest: d.Proto()})
		case t.IsRegular():
			info, err := e.Info()
			if err != nil {
				return nil, fmt.Errorf("stat output file: %w", err)
			}
			d, err := blobs.AddFile(full)
			if err != nil {
				return nil, err
			}
			dir.Files = append(dir.Files, &remoteexecution.FileNode{Name: e.Name(), Digest: d.Proto(), IsExecutable: info.Mode()&0o100 != 0})
		}
		// Sockets, devices and pipes have no REAPI representation and are
		// left out of directory outputs.
	}
	return dir, nil
}
