package inputroot

import (
	"strings"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
)

// maxSymlinkHops bounds symlink chains, as the kernel does with ELOOP.
const maxSymlinkHops = 40

// symlinkResolver decides whether symlink targets stay inside the input
// root. A purely lexical check is not enough: "s/.." leaves the root when s
// is itself a symlink to the root, so the resolver follows the symlinks of
// the tree it knows. Beyond names the tree does not contain (outputs that
// the action will create) it can only reason lexically.
type symlinkResolver struct {
	root *remoteexecution.Directory
	dirs map[string]*remoteexecution.Directory // by digest key
	key  func(*remoteexecution.Digest) string
}

// staysInside reports whether target, read from the directory at parent
// (names from the root), resolves to a path inside the root.
func (r *symlinkResolver) staysInside(parent []string, target string) bool {
	_, ok := r.resolve(parent, target, 0)
	return ok
}

func (r *symlinkResolver) resolve(parent []string, target string, hops int) ([]string, bool) {
	if hops > maxSymlinkHops || strings.HasPrefix(target, "/") {
		return nil, false
	}
	cur := append([]string(nil), parent...)
	for _, c := range strings.Split(target, "/") {
		switch c {
		case "", ".":
			continue
		case "..":
			if len(cur) == 0 {
				return nil, false
			}
			cur = cur[:len(cur)-1]
			continue
		}
		link := r.symlinkAt(cur, c)
		if link == nil {
			cur = append(cur, c)
			continue
		}
		resolved, ok := r.resolve(cur, link.Target, hops+1)
		if !ok {
			return nil, false
		}
		cur = resolved
	}
	return cur, true
}

// symlinkAt returns the symlink called name in the directory at path, or
// nil when path is not a known directory or name is not a symlink there.
func (r *symlinkResolver) symlinkAt(path []string, name string) *remoteexecution.SymlinkNode {
	dir := r.root
	for _, c := range path {
		var next *remoteexecution.Directory
		for _, d := range dir.Directories {
			if d.Name == c {
				next = r.dirs[r.key(d.Digest)]
				break
			}
		}
		if next == nil {
			return nil
		}
		dir = next
	}
	for _, s := range dir.Symlinks {
		if s.Name == name {
			return s
		}
	}
	return nil
}
