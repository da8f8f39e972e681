package runnerapp

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/sandbarn/sandbarn/rootfs"
	"github.com/sandbarn/sandbarn/sandbox/container"
)

// imageResolver adapts an image store to the container sandbox: "" and
// "none" go to fallback (the runner's default rootfs), any other value to
// the store. It lives here, where the two are wired together, so that the
// image store does not depend on the sandbox.
//
// The sandbox does not say when it stops using a rootfs (prepared
// containers keep one past the action), so the adapter keeps each image
// it handed out in use until hold has passed without any request for it;
// hold must exceed the longest action timeout. Until the sandbox gains a
// release hook this is what keeps trees of running actions from eviction.
func imageResolver(store *rootfs.Store, fallback container.RootfsResolver, hold time.Duration, now func() time.Time) container.RootfsResolver {
	h := &holder{store: store, hold: hold, now: now, held: map[string]*heldTree{}}
	return func(ctx context.Context, image string) (container.Rootfs, error) {
		if rootfs.IsDefault(image) {
			h.mu.Lock()
			h.expireLocked()
			h.mu.Unlock()
			return fallback(ctx, "")
		}
		t, err := h.get(ctx, image)
		if err != nil {
			return container.Rootfs{}, err
		}
		ref := t.Reference
		if !strings.HasPrefix(ref, "docker://") {
			ref = "docker://" + ref
		}
		return container.Rootfs{Path: t.Path, Reference: ref}, nil
	}
}

// holder keeps the trees the resolver handed out acquired until they
// have gone unused for hold.
type holder struct {
	store *rootfs.Store
	hold  time.Duration
	now   func() time.Time

	mu   sync.Mutex
	held map[string]*heldTree
}

type heldTree struct {
	tree     *rootfs.Tree
	lastUsed time.Time
}

func (h *holder) get(ctx context.Context, image string) (*rootfs.Tree, error) {
	h.mu.Lock()
	h.expireLocked()
	if ht, ok := h.held[image]; ok {
		ht.lastUsed = h.now()
		h.mu.Unlock()
		return ht.tree, nil
	}
	h.mu.Unlock()
	t, err := h.store.Acquire(ctx, image)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if ht, ok := h.held[image]; ok {
		t.Release() // a concurrent request got there first
		ht.lastUsed = h.now()
		return ht.tree, nil
	}
	h.held[image] = &heldTree{tree: t, lastUsed: h.now()}
	return t, nil
}

func (h *holder) expireLocked() {
	now := h.now()
	for image, ht := range h.held {
		if now.Sub(ht.lastUsed) > h.hold {
			ht.tree.Release()
			delete(h.held, image)
		}
	}
}
