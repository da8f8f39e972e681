package local

import (
	"cmp"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Names inside Options.Dir.
const (
	blobsDirName  = "blobs"
	tmpDirName    = "tmp"
	emptyFileName = "empty"
	kindFileName  = "KIND"
	lockFileName  = "LOCK"
)

// New opens the store in opts.Dir, creating it when missing. Use it for
// bb_storage's embedded CAS and Action Cache (one directory each). Opening
// deletes temporary files a crash left behind and scans the blob files to
// rebuild the index and its recency order, so it takes time proportional
// to the number of blobs.
func New(opts Options) (*BlobAccess, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	ba := &BlobAccess{
		dir:         opts.Dir,
		kind:        opts.Kind,
		maxSize:     opts.MaxSizeBytes,
		noSync:      opts.DisableSync,
		now:         now,
		copyBuffers: newCopyBuffers(),
		index:       newLRUIndex(),
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("local storage: %w", err)
	}
	lock, err := lockDir(opts.Dir)
	if err != nil {
		return nil, err
	}
	ba.lockFile = lock
	if err := ba.prepare(); err != nil {
		lock.Close()
		return nil, fmt.Errorf("local storage %s: %w", opts.Dir, err)
	}
	return ba, nil
}

// lockDir takes an exclusive lock on the directory, so two processes never
// evict from under each other. The kernel drops it when the process dies.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFileName), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("local storage: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("local storage: %s is in use by another process: %w", dir, err)
	}
	return f, nil
}

// prepare checks the kind, clears temporary files, creates the layout and
// loads the index.
func (ba *BlobAccess) prepare() error {
	if err := ba.checkKind(); err != nil {
		return err
	}
	if err := os.RemoveAll(filepath.Join(ba.dir, tmpDirName)); err != nil {
		return fmt.Errorf("remove temporary files: %w", err)
	}
	if err := os.Mkdir(filepath.Join(ba.dir, tmpDirName), 0o755); err != nil {
		return err
	}
	// Shard directories are made on first use: creating all 256 up front
	// costs most of the time of opening a small store.
	if err := os.MkdirAll(filepath.Join(ba.dir, blobsDirName), 0o755); err != nil {
		return err
	}
	if ba.kind == CAS {
		if err := os.WriteFile(filepath.Join(ba.dir, emptyFileName), nil, 0o644); err != nil {
			return err
		}
	}
	return ba.load()
}

// checkKind refuses to open a CAS directory as an Action Cache or the
// other way round: the two name their files differently, so a mix-up
// would silently look empty.
func (ba *BlobAccess) checkKind() error {
	p := filepath.Join(ba.dir, kindFileName)
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return os.WriteFile(p, []byte(ba.kind.String()+"\n"), 0o644)
	}
	if err != nil {
		return err
	}
	if got := strings.TrimSpace(string(data)); got != ba.kind.String() {
		return fmt.Errorf("directory holds a %s store, not a %s", got, ba.kind)
	}
	return nil
}

// scanned is one blob file found at start-up.
type scanned struct {
	key   key
	size  int64
	mtime int64
}

// load scans the shard directories and inserts every blob, oldest first,
// so the index ends with the recency order the files' mtimes record.
// Files that are not blobs are deleted: nothing else is written there.
func (ba *BlobAccess) load() error {
	blobsDir := filepath.Join(ba.dir, blobsDirName)
	shards, err := os.ReadDir(blobsDir)
	if err != nil {
		return err
	}
	var found []scanned
	for _, sh := range shards {
		shard := filepath.Join(blobsDir, sh.Name())
		if !sh.IsDir() || !isShardName(sh.Name()) {
			if err := os.RemoveAll(shard); err != nil {
				return err
			}
			continue
		}
		des, err := os.ReadDir(shard)
		if err != nil {
			return err
		}
		for _, de := range des {
			s, ok := scanEntry(shard, de)
			if !ok {
				if err := os.RemoveAll(filepath.Join(shard, de.Name())); err != nil {
					return err
				}
				continue
			}
			found = append(found, s)
		}
	}
	slices.SortFunc(found, func(a, b scanned) int { return cmp.Compare(a.mtime, b.mtime) })
	for _, s := range found {
		ba.index.put(s.key, s.size)
	}
	ba.evictLocked(0)
	return nil
}

func scanEntry(shard string, de fs.DirEntry) (scanned, bool) {
	var s scanned
	name := de.Name()
	if len(name) != 2*len(s.key) || !de.Type().IsRegular() || !strings.HasPrefix(name, filepath.Base(shard)) {
		return s, false
	}
	if _, err := hex.Decode(s.key[:], []byte(name)); err != nil || hex.EncodeToString(s.key[:]) != name {
		return s, false
	}
	info, err := de.Info()
	if err != nil {
		return s, false
	}
	s.size = info.Size()
	s.mtime = info.ModTime().UnixNano()
	return s, true
}

func isShardName(name string) bool {
	b, err := hex.DecodeString(name)
	return err == nil && len(b) == 1 && hex.EncodeToString(b) == name
}
