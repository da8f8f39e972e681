package rootfs

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/sandbarn/sandbarn/errkind"
)

// Store holds unpacked images on local disk. One Store per directory per
// process; several processes (the runner and `sandbarn image`) may share
// a directory, using file locks to keep each other's trees in use.
type Store struct {
	cfg         Config
	trees, temp string
	flights     flightGroup

	mu  sync.Mutex
	idx index
}

// entry is one complete tree.
type entry struct {
	meta     meta
	dir      string
	refs     int
	lock     *os.File // shared lock on meta.json while refs > 0
	lastUsed time.Time
}

// Open uses (and creates) the store in cfg.Directory, discarding any
// unpack that a previous process left unfinished. Use one per runner.
func Open(cfg Config) (*Store, error) {
	applyDefaults(&cfg)
	if cfg.Directory == "" {
		return nil, fmt.Errorf("image store: no directory configured")
	}
	s := &Store{
		cfg:   cfg,
		trees: filepath.Join(cfg.Directory, "trees"),
		temp:  filepath.Join(cfg.Directory, "tmp"),
		idx:   newIndex(),
	}
	for _, dir := range []string{s.trees, s.temp} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("image store: %w", err)
		}
	}
	if err := s.cleanTemp(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s, s.loadLocked()
}

func applyDefaults(cfg *Config) {
	if cfg.Keychain == nil {
		cfg.Keychain = authn.DefaultKeychain
	}
	if cfg.Transport == nil {
		cfg.Transport = http.DefaultTransport
	}
	if cfg.Chown == nil {
		root := os.Geteuid() == 0
		cfg.Chown = &root
	}
	if cfg.FirstHostUID == 0 && cfg.UIDCount == 0 {
		cfg.FirstHostUID, cfg.UIDCount = 1_000_000_000, 65536
	}
	if cfg.OS == "" {
		cfg.OS = "linux"
	}
	if cfg.Architecture == "" {
		cfg.Architecture = runtime.GOARCH
	}
	if cfg.ProgressInterval == 0 {
		cfg.ProgressInterval = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
}

// cleanTemp removes unpacks in progress of a process that is gone.
// Another live process sharing the directory could be unpacking there
// too; those directories carry that process's pid so only dead ones go.
func (s *Store) cleanTemp() error {
	dirs, err := os.ReadDir(s.temp)
	if err != nil {
		return fmt.Errorf("image store: %w", err)
	}
	for _, d := range dirs {
		if pidAlive(d.Name()) {
			continue
		}
		if err := forceRemove(filepath.Join(s.temp, d.Name())); err != nil {
			return fmt.Errorf("image store: %w", err)
		}
	}
	return nil
}

// Acquire returns the tree for a container-image value, fetching it if
// needed, or nil for "" and "none" (the runner's default rootfs).
// Concurrent calls for the same image share one pull. Errors have kinds
// (errkind): Precondition naming the image and the reason when the image
// cannot be had, Invalid for a malformed value, Unavailable for this
// machine's own trouble.
func (s *Store) Acquire(ctx context.Context, value string) (*Tree, error) {
	if IsDefault(value) {
		return nil, nil
	}
	if dir, ok := s.localDirectory(value); ok {
		return &Tree{Path: dir, Reference: strings.TrimPrefix(value, dockerScheme)}, nil
	}
	ref, err := ParseReference(value, s.cfg.InsecureRegistries)
	if err != nil {
		return nil, err
	}
	// A tree fetched for us can, rarely, be evicted or removed by another
	// process before we take it; then fetch again, a bounded number of
	// times.
	for attempt := 0; attempt < 3; attempt++ {
		if t := s.acquireStored(ref); t != nil {
			s.evict()
			return t, nil
		}
		err := s.flights.do(ctx, "ref "+ref.Name(), func(ctx context.Context) error {
			return s.fetch(ctx, value, ref)
		})
		if err != nil {
			return nil, imageError(value, err)
		}
	}
	return nil, errkind.New(errkind.Unavailable, "container-image %q: the tree was evicted as soon as it was unpacked; is the store's size limit too small?", value)
}

func (s *Store) localDirectory(value string) (string, bool) {
	bare := strings.TrimPrefix(value, dockerScheme)
	for _, k := range []string{value, bare, dockerScheme + bare} {
		if dir, ok := s.cfg.LocalDirectories[k]; ok {
			return dir, true
		}
	}
	return "", false
}

// acquireStored takes a reference on a tree already in the store.
func (s *Store) acquireStored(ref name.Reference) *Tree {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.idx.lookup(ref)
	if e == nil {
		return nil
	}
	if e.refs == 0 {
		lock, err := lockShared(e.dir)
		if err != nil {
			// Removed by another process since we loaded it.
			s.idx.drop(e)
			return nil
		}
		e.lock = lock
	}
	e.refs++
	e.lastUsed = s.cfg.Now()
	return &Tree{
		Path:      filepath.Join(e.dir, "rootfs"),
		Reference: pinned(ref.Context(), e.meta.Digest),
		release:   func() { s.release(e) },
	}
}

func (s *Store) release(e *entry) {
	s.mu.Lock()
	// A tree was in use until now: that is its last use.
	now := s.cfg.Now()
	e.lastUsed = now
	if e.refs--; e.refs == 0 && e.lock != nil {
		// The mtime of meta.json carries the LRU order across restarts.
		os.Chtimes(e.lock.Name(), now, now)
		e.lock.Close()
		e.lock = nil
	}
	s.mu.Unlock()
	s.evict()
}

// evict brings the store under its limit if it can.
func (s *Store) evict() {
	s.mu.Lock()
	victims := s.evictLocked()
	s.mu.Unlock()
	s.deleteAll(victims)
}
