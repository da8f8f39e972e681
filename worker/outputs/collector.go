package outputs

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"

	"github.com/sandbarn/sandbarn/errkind"
)

// Collect fills the output fields of result from the files the action left
// below inputRoot, and adds the blobs they name to blobs. Outputs that the
// action did not create are left out, as REAPI allows. Paths that leave the
// input root and outputs of the wrong kind are errkind.Invalid.
func Collect(blobs *BlobSet, inputRoot string, cmd *remoteexecution.Command, result *remoteexecution.ActionResult) error {
	workDir := filepath.Join(inputRoot, cmd.WorkingDirectory)
	if len(cmd.OutputPaths) > 0 {
		for _, p := range cmd.OutputPaths {
			if err := collectPath(blobs, inputRoot, workDir, p, kindAny, cmd.OutputDirectoryFormat, result); err != nil {
				return err
			}
		}
		return nil
	}
	for _, p := range cmd.OutputFiles {
		if err := collectPath(blobs, inputRoot, workDir, p, kindFile, cmd.OutputDirectoryFormat, result); err != nil {
			return err
		}
	}
	for _, p := range cmd.OutputDirectories {
		if err := collectPath(blobs, inputRoot, workDir, p, kindDirectory, cmd.OutputDirectoryFormat, result); err != nil {
			return err
		}
	}
	return nil
}

// outputKind says what the Command declared a path to be.
type outputKind int

const (
	kindAny outputKind = iota // output_paths: whatever the action made
	kindFile
	kindDirectory
)

func collectPath(blobs *BlobSet, inputRoot, workDir, path string, kind outputKind, format remoteexecution.Command_OutputDirectoryFormat, result *remoteexecution.ActionResult) error {
	full := filepath.Join(workDir, path)
	if rel, err := filepath.Rel(inputRoot, full); err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return errkind.New(errkind.Invalid, "output path %q leaves the input root", path)
	}
	if err := checkParents(inputRoot, full, path); err != nil {
		return err
	}
	info, err := os.Lstat(full)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("output %q: %w", path, err)
	}
	switch {
	case info.Mode()&fs.ModeSymlink != 0:
		return collectSymlink(full, path, kind, result)
	case info.Mode().IsRegular():
		if kind == kindDirectory {
			return errkind.New(errkind.Invalid, "output directory %q is a regular file", path)
		}
		d, err := blobs.AddFile(full)
		if err != nil {
			return err
		}
		result.OutputFiles = append(result.OutputFiles, &remoteexecution.OutputFile{
			Path: path, Digest: d.Proto(), IsExecutable: info.Mode()&0o100 != 0,
		})
	case info.IsDir():
		if kind == kindFile {
			return errkind.New(errkind.Invalid, "output file %q is a directory", path)
		}
		digests, err := addTree(blobs, full, format != remoteexecution.Command_TREE_ONLY)
		if err != nil {
			return err
		}
		out := &remoteexecution.OutputDirectory{Path: path, TreeDigest: digests.tree.Proto()}
		if digests.root != nil {
			out.RootDirectoryDigest = digests.root.Proto()
		}
		result.OutputDirectories = append(result.OutputDirectories, out)
	default:
		return errkind.New(errkind.Invalid, "output %q is neither a file, a directory nor a symlink", path)
	}
	return nil
}

// collectSymlink reports a symlink in output_symlinks, and also in the
// field of its declared kind that REAPI 2.0 clients read.
func collectSymlink(full, path string, kind outputKind, result *remoteexecution.ActionResult) error {
	target, err := os.Readlink(full)
	if err != nil {
		return fmt.Errorf("output %q: %w", path, err)
	}
	link := &remoteexecution.OutputSymlink{Path: path, Target: target}
	result.OutputSymlinks = append(result.OutputSymlinks, link)
	switch kind {
	case kindFile:
		result.OutputFileSymlinks = append(result.OutputFileSymlinks, link)
	case kindDirectory:
		result.OutputDirectorySymlinks = append(result.OutputDirectorySymlinks, link)
	}
	return nil
}
