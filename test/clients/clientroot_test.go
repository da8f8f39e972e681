package clients

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	testimages "github.com/sandbarn/sandbarn/test/images"
	"github.com/sandbarn/sandbarn/test/testenv"
)

// clientRootRecipe is what the client root is made of; its hash names the
// cache entry, so changing the recipe builds a new root.
var clientRootRecipe = struct {
	suite, variant, mirror string
	packages               []string
}{
	suite:    "sid",
	variant:  "minbase",
	mirror:   "http://deb.debian.org/debian",
	packages: []string{"buildstream", "buildbox", "gcc", "libc6-dev"},
}

// clientRootTimeout bounds building the root from nothing: debootstrap
// takes about a minute and a half here, the packages about as long.
const clientRootTimeout = 15 * time.Minute

// aptNoExpiry makes apt accept sid's Release file when it looks expired
// against the machine's clock.
const aptNoExpiry = "-o Acquire::Check-Valid-Until=false"

func clientRootKey() string {
	r := clientRootRecipe
	h := sha256.Sum256([]byte(strings.Join([]string{r.suite, r.variant, r.mirror, strings.Join(r.packages, ",")}, "\n")))
	return fmt.Sprintf("clients-%s-%s", r.suite, hex.EncodeToString(h[:6]))
}

// cacheDir is where the client root is kept between runs.
func cacheDir() (string, error) {
	if d := os.Getenv("SANDBARN_TEST_CACHE"); d != "" {
		return d, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory (set SANDBARN_TEST_CACHE): %w", err)
	}
	return filepath.Join(base, "sandbarn"), nil
}

// requireClientRoot returns the cached client root, building it first if
// needed, or skips (fails in CI) when that is impossible here.
func requireClientRoot(t *testing.T) string {
	t.Helper()
	if os.Getuid() != 0 {
		testenv.SkipOrFail(t, "the client root needs root (debootstrap, mount namespaces, pivot_root)")
	}
	for _, tool := range []string{"debootstrap", "unshare", "pivot_root"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.SkipOrFail(t, "%s is not installed (apt-get install debootstrap util-linux): %v", tool, err)
		}
	}
	dir, err := cacheDir()
	if err != nil {
		testenv.SkipOrFail(t, "%v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), clientRootTimeout)
	defer cancel()
	root, err := clientRoot(ctx, dir)
	if err != nil {
		testenv.SkipOrFail(t, "cannot build the sid client root (is deb.debian.org reachable?): %v", err)
	}
	return root
}

// clientRoot returns the root below cacheDir, building it under a
// temporary name and renaming it when complete, so an interrupted build
// is never taken for a finished one. A file lock makes the test binaries
// of concurrent runs wait for one builder.
func clientRoot(ctx context.Context, cacheDir string) (string, error) {
	dir := filepath.Join(cacheDir, clientRootKey())
	err := testimages.WithLock(dir+".lock", func() error {
		if _, err := os.Stat(dir); err == nil {
			return nil
		}
		return buildClientRoot(ctx, dir)
	})
	return dir, err
}

func buildClientRoot(ctx context.Context, dir string) error {
	r := clientRootRecipe
	tmp := dir + ".partial"
	if err := removeTree(tmp); err != nil {
		return err
	}
	if err := run(ctx, "debootstrap", "--variant="+r.variant, r.suite, tmp, r.mirror); err != nil {
		return err
	}
	// apt-get inside the root resolves the mirror's name with the host's
	// resolver configuration.
	if err := copyResolvConf(tmp); err != nil {
		return err
	}
	install := "export DEBIAN_FRONTEND=noninteractive; apt-get " + aptNoExpiry + " update && " +
		"apt-get " + aptNoExpiry + " install -y --no-install-recommends " + strings.Join(r.packages, " ") +
		" && apt-get clean"
	shared, err := os.MkdirTemp("", "sandbarn-clientroot-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(shared)
	if err := run(ctx, "unshare", enterArgs(tmp, shared, "sh", "-c", install)...); err != nil {
		return err
	}
	return os.Rename(tmp, dir)
}

// copyResolvConf copies the host's /etc/resolv.conf, if any, into root.
func copyResolvConf(root string) error {
	data, err := os.ReadFile("/etc/resolv.conf")
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	dst := filepath.Join(root, "etc", "resolv.conf")
	// debootstrap may leave a symlink to a resolver's runtime file.
	if err := os.Remove(dst); err != nil && !os.IsNotExist(err) {
		return err
	}
	return os.WriteFile(dst, data, 0o644)
}

// enterArgs are unshare's arguments to run argv inside root with shared
// mounted at /work.
func enterArgs(root, shared string, argv ...string) []string {
	script, err := filepath.Abs("enter.sh")
	if err != nil {
		script = "enter.sh"
	}
	return append([]string{"--mount", "--propagation", "private", script, root, shared}, argv...)
}

// removeTree removes a partial root; debootstrap may have left mounts
// below it if it was killed, which RemoveAll must not descend into.
func removeTree(dir string) error {
	if _, err := os.Stat(dir); os.IsNotExist(err) {
		return nil
	}
	_ = exec.Command("umount", "-R", "-l", dir).Run()
	return os.RemoveAll(dir)
}

func run(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, testenv.Tail(string(out)))
	}
	return nil
}
