package container

import (
	"debug/elf"
	"fmt"
)

// selfExecutable is the binary a prepared container's init runs.
const selfExecutable = "/proc/self/exe"

// SelfContained reports whether the ELF executable at path runs without
// anything from the root filesystem it is started in: no ELF interpreter
// and no shared library. A prepared container's init is the runner's own
// binary started after the root is switched to the action's image, so a
// dynamically linked runner would load the image's loader and C library,
// or fail on an image without them.
func SelfContained(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s has an ELF interpreter", path)
		}
	}
	needed, err := f.DynValue(elf.DT_NEEDED)
	if err == nil && len(needed) > 0 {
		return fmt.Errorf("%s needs %d shared libraries", path, len(needed))
	}
	return nil
}

// checkStaticInit tells whether prepared containers may run on images,
// and says once when they may not.
func checkStaticInit(cfg *Config) bool {
	err := SelfContained(selfExecutable)
	if err == nil {
		return true
	}
	if !cfg.OneShot {
		cfg.Logger.Warn("sandbox: this runner is linked dynamically, so actions with a container-image get a container created for them instead of a prepared one (`make build` links it statically)",
			"cause", err)
	}
	return false
}
