package skeleton

// InputRootPath is where the sandbox mounts the action's input root, the
// same for every action so absolute paths in outputs do not depend on the
// worker's slot.
const InputRootPath = "/sandbarn/root"

// MountPoints returns the directories, relative to the root, that the
// sandbox mounts file systems on: /proc, /dev, /sys, /tmp and the input
// root. A fresh slice each time, so no caller can change another's list.
func MountPoints() []string {
	return []string{"proc", "dev", "sys", "tmp", InputRootPath[1:]}
}
