package container

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Mode is how an action's input root becomes part of its sandbox.
type Mode string

const (
	// ModeImage runs the action on a read-only root filesystem chosen by
	// container-image (or the default rootfs), with the input root
	// mounted writable at InputRootPath. The default.
	ModeImage Mode = "image"
	// ModeInputRoot makes the input root the whole writable root
	// filesystem, with /proc, a minimal /dev and a private /tmp mounted
	// by the sandbox: the "chroot" convention of BuildStream and
	// BuildGrid, whose actions carry their own sysroot.
	ModeInputRoot Mode = "input-root"
)

// ExecutionMode assigns a mode to the instance names that start with
// InstanceNamePrefix, compared by whole slash-separated components ("a"
// covers "a" and "a/b", not "ab"); the empty prefix covers every name.
type ExecutionMode struct {
	InstanceNamePrefix string
	Mode               Mode
}

// modeFor returns the mode of the longest matching prefix, ModeImage when
// none matches.
func (c *Config) modeFor(instanceName string) Mode {
	mode, best := ModeImage, -1
	for _, m := range c.ExecutionModes {
		if hasComponentPrefix(instanceName, m.InstanceNamePrefix) && len(m.InstanceNamePrefix) > best {
			mode, best = m.Mode, len(m.InstanceNamePrefix)
		}
	}
	return mode
}

func hasComponentPrefix(name, prefix string) bool {
	if prefix == "" || name == prefix {
		return true
	}
	return strings.HasPrefix(name, prefix+"/")
}

// validateModes refuses unknown modes and a prefix given twice, which
// would make the choice depend on the order of the list.
func validateModes(modes []ExecutionMode) error {
	seen := map[string]bool{}
	for _, m := range modes {
		switch m.Mode {
		case ModeImage, ModeInputRoot:
		default:
			return fmt.Errorf("execution mode %q for instance name prefix %q: must be %q or %q", m.Mode, m.InstanceNamePrefix, ModeImage, ModeInputRoot)
		}
		if strings.HasPrefix(m.InstanceNamePrefix, "/") || strings.HasSuffix(m.InstanceNamePrefix, "/") {
			return fmt.Errorf("instance name prefix %q must not begin or end with a slash", m.InstanceNamePrefix)
		}
		if seen[m.InstanceNamePrefix] {
			return fmt.Errorf("instance name prefix %q has more than one execution mode", m.InstanceNamePrefix)
		}
		seen[m.InstanceNamePrefix] = true
	}
	return nil
}

// checkSearchable makes sure the sandbox's root (an unmapped uid on the
// host) can walk down to the build directory: in ModeInputRoot the
// container mounts its root filesystem from there from inside its user
// namespace, and a closed directory on the way would fail every action
// with a bare "permission denied".
func checkSearchable(dir string) error {
	for p := dir; ; p = filepath.Dir(p) {
		info, err := os.Stat(p)
		if err != nil {
			return err
		}
		if info.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("input-root execution mode: %s has mode %#o; the sandbox needs search permission for others on it (chmod o+x) to reach build directory %s", p, info.Mode().Perm(), dir)
		}
		if p == "/" {
			return nil
		}
	}
}

func (c *Config) usesInputRootMode() bool {
	for _, m := range c.ExecutionModes {
		if m.Mode == ModeInputRoot {
			return true
		}
	}
	return false
}
