package testimages

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// BusyboxBinary is where Debian's busybox-static installs busybox.
const BusyboxBinary = "/bin/busybox"

// BusyboxOSRelease is the /etc/os-release of the busybox tree; its ID
// line tells tests which image an action ran on.
const BusyboxOSRelease = "NAME=\"BusyBox\"\nID=busybox\nPRETTY_NAME=\"Sandbarn test image (busybox-static)\"\n"

// Busybox fills dir with a minimal root filesystem: busybox, a symlink
// per applet in /bin, and the /etc files programs look for. It needs the
// busybox-static package.
func Busybox(dir string) error {
	applets, err := busyboxApplets()
	if err != nil {
		return err
	}
	for _, d := range []string{"bin", "etc", "tmp", "proc", "dev", "sys"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	if err := os.Chmod(filepath.Join(dir, "tmp"), 0o1777); err != nil {
		return err
	}
	if err := copyFile(BusyboxBinary, filepath.Join(dir, "bin", "busybox"), 0o755); err != nil {
		return err
	}
	for _, a := range applets {
		if a == "busybox" {
			continue
		}
		if err := os.Symlink("busybox", filepath.Join(dir, "bin", a)); err != nil && !os.IsExist(err) {
			return err
		}
	}
	return writeEtc(dir)
}

// busyboxApplets asks the binary for its applet names.
func busyboxApplets() ([]string, error) {
	out, err := exec.Command(BusyboxBinary, "--list").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --list (apt-get install busybox-static): %w", BusyboxBinary, err)
	}
	return strings.Fields(string(out)), nil
}

func writeEtc(dir string) error {
	files := map[string]string{
		"etc/os-release": BusyboxOSRelease,
		"etc/passwd":     "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
		"etc/group":      "root:x:0:\nnogroup:x:65534:\n",
	}
	for rel, content := range files {
		if err := os.WriteFile(filepath.Join(dir, rel), []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(src, dst string, mode os.FileMode) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("%s (apt-get install busybox-static): %w", src, err)
	}
	return os.WriteFile(dst, data, mode)
}
