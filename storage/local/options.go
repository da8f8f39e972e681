package local

import (
	"errors"
	"time"
)

// Kind says what a store holds, which decides how blobs are keyed and
// whether their content is verified.
type Kind int

const (
	// CAS stores blobs under their content hash, verifies every write and
	// ignores instance names.
	CAS Kind = iota + 1
	// ActionCache stores ActionResults keyed by instance name and action
	// digest, without verifying content.
	ActionCache
)

// String names the kind; the name is also written into the store's
// directory so a CAS directory is never opened as an Action Cache.
func (k Kind) String() string {
	switch k {
	case CAS:
		return "cas"
	case ActionCache:
		return "action-cache"
	}
	return "invalid"
}

// Options configures New.
type Options struct {
	// Dir holds the store; it is created if missing. One process at a time
	// may open it.
	Dir string
	// MaxSizeBytes bounds the total size of stored blobs. Temporary files
	// of writes in progress are not counted.
	MaxSizeBytes int64
	// Kind selects CAS or ActionCache behaviour.
	Kind Kind
	// DisableSync skips fsync before a blob becomes visible. A killed
	// process still never exposes a partial blob (the page cache survives
	// it), but a power loss may. For tests and benchmarks.
	DisableSync bool
	// Now returns the time recorded as a blob's last use; time.Now when nil.
	Now func() time.Time
}

func (o *Options) validate() error {
	if o.Dir == "" {
		return errors.New("local storage: Dir is empty")
	}
	if o.MaxSizeBytes <= 0 {
		return errors.New("local storage: MaxSizeBytes must be positive")
	}
	if o.Kind != CAS && o.Kind != ActionCache {
		return errors.New("local storage: Kind must be CAS or ActionCache")
	}
	return nil
}
