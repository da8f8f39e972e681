package rootfs

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lockShared marks a tree in use by this process: a shared flock on its
// meta.json, which removal by any process must first lock exclusively.
func lockShared(dir string) (*os.File, error) {
	f, err := os.Open(filepath.Join(dir, metaFile))
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, err
	}
	// The tree may have been renamed away between open and lock.
	if _, err := os.Stat(filepath.Join(dir, metaFile)); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// lockExclusive succeeds only if no process uses the tree.
func lockExclusive(dir string) (*os.File, error) {
	f, err := os.Open(filepath.Join(dir, metaFile))
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errInUse
		}
		return nil, err
	}
	return f, nil
}

var errInUse = errors.New("in use")

// tempPrefix names a temporary directory after the process that owns it.
func tempPrefix() string { return strconv.Itoa(os.Getpid()) + "-" }

// pidAlive reports whether the process named by a temporary directory's
// prefix still runs. Directories of another name are stale.
func pidAlive(dirName string) bool {
	pidStr, _, ok := strings.Cut(dirName, "-")
	if !ok {
		return false
	}
	pid, err := strconv.Atoi(pidStr)
	if err != nil || pid <= 0 || pid == os.Getpid() {
		return false
	}
	return !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
