package testimages

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// CacheDir is where slow-to-build trees and images are kept between test
// runs: $SANDBARN_TEST_CACHE, else sandbarn/test-images below the user's
// cache directory (~/.cache).
func CacheDir() (string, error) {
	if d := os.Getenv("SANDBARN_TEST_CACHE"); d != "" {
		return d, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory for test images (set SANDBARN_TEST_CACHE): %w", err)
	}
	return filepath.Join(base, "sandbarn", "test-images"), nil
}

// WithLock runs fn holding an exclusive lock on path, so test binaries of
// several packages building the same entry wait instead of racing.
func WithLock(path string, fn func() error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("locking %s: %w", path, err)
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return fn()
}
