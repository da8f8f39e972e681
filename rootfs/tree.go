package rootfs

import "sync"

// Tree is an unpacked image in use. Call Release when no sandbox uses
// Path any more; until then the store will not evict it.
type Tree struct {
	// Path is the root directory to mount read-only.
	Path string
	// Reference is the image pinned by digest
	// ("registry/repo@sha256:..."), or the configured reference of a
	// local directory.
	Reference string

	once    sync.Once
	release func()
}

// Release gives the tree back to the store; later calls do nothing.
func (t *Tree) Release() {
	if t == nil || t.release == nil {
		return
	}
	t.once.Do(t.release)
}
