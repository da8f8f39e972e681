package inputroot

import (
	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"

	"github.com/sandbarn/sandbarn/errkind"
)

// MaxEntries bounds the files, directories and symlinks of one input root.
// A tree is a DAG: a directory listing the same child twice doubles at every
// level, so a few kilobytes of Directory messages could otherwise make the
// worker create billions of entries.
const MaxEntries = 1 << 20

// checkSize counts the entries the tree expands to, each distinct
// Directory once, and refuses trees above MaxEntries before anything is
// created on disk.
func checkSize(r *symlinkResolver) error {
	memo := map[*remoteexecution.Directory]int64{}
	var count func(d *remoteexecution.Directory) int64
	count = func(d *remoteexecution.Directory) int64 {
		if n, ok := memo[d]; ok {
			return n
		}
		n := int64(len(d.Files) + len(d.Symlinks) + len(d.Directories))
		for _, sub := range d.Directories {
			n += count(r.dirs[r.key(sub.Digest)])
			if n > MaxEntries {
				break
			}
		}
		memo[d] = n
		return n
	}
	if n := count(r.root); n > MaxEntries {
		return errkind.New(errkind.Invalid, "input root expands to more than %d files, directories and symlinks", MaxEntries)
	}
	return nil
}
