package container

import (
	"fmt"
	"path"

	"github.com/opencontainers/cgroups"
	devconfig "github.com/opencontainers/cgroups/devices/config"
	"github.com/opencontainers/runc/libcontainer/configs"
	"github.com/opencontainers/runc/libcontainer/specconv"
	"golang.org/x/sys/unix"

	"github.com/sandbarn/sandbarn/sandbox/container/limits"
)

// action is everything that differs between two containers.
type action struct {
	id        string
	inputRoot string
	rootfs    Rootfs
	settings  settings
	mode      Mode
}

// workingDirectory is where the command starts: below the input root,
// wherever the mode puts it.
func (a action) workingDirectory(rel string) string {
	if a.mode == ModeInputRoot {
		return path.Join("/", rel)
	}
	return path.Join(InputRootPath, rel)
}

// containerConfig is the libcontainer description of one action's
// sandbox; see the package comment and DESIGN.md's security model.
func (r *Runner) containerConfig(a action) *configs.Config {
	c := &configs.Config{
		Rootfs:          a.rootfs.Path,
		Readonlyfs:      a.mode != ModeInputRoot,
		NoPivotRoot:     r.cfg.NoPivotRoot,
		Hostname:        r.cfg.Hostname,
		NoNewPrivileges: true,
		Namespaces: configs.Namespaces{
			{Type: configs.NEWNS}, {Type: configs.NEWUTS}, {Type: configs.NEWIPC},
			{Type: configs.NEWPID}, {Type: configs.NEWUSER}, {Type: configs.NEWCGROUP},
		},
		UIDMappings:     r.identity.uidMap,
		GIDMappings:     r.identity.gidMap,
		RootlessEUID:    r.rootless,
		RootlessCgroups: r.rootless,
		Capabilities:    capabilities(a.settings.runAsRoot && !r.identity.singleUID),
		Devices:         specconv.AllowedDevices,
		Mounts:          r.mounts(a),
		MaskPaths:       maskedPaths,
		ReadonlyPaths:   readonlyPaths,
		Cgroups:         r.cgroupConfig(a),
		Rlimits:         actionRlimits,
	}
	if !a.settings.hostNetwork {
		c.Namespaces = append(c.Namespaces, configs.Namespace{Type: configs.NEWNET})
		c.Networks = []*configs.Network{{Type: "loopback", Address: "127.0.0.1/0", Gateway: "localhost"}}
	}
	if !r.cfg.DisableSeccomp {
		c.Seccomp = seccompProfile()
	}
	return c
}

// actionRlimits are the resource limits every action starts with: no core
// files, which would land among the action's outputs.
var actionRlimits = []configs.Rlimit{{Type: unix.RLIMIT_CORE, Hard: 0, Soft: 0}}

// Paths container runtimes hide or freeze because they expose the host.
var (
	maskedPaths = []string{
		"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
		"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
		"/sys/firmware", "/sys/devices/virtual/powercap",
	}
	readonlyPaths = []string{
		"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
	}
)

// capabilities gives a root action the ordinary set of a container's root,
// meaningful only inside its user namespace; a non-root action gets none.
func capabilities(root bool) *configs.Capabilities {
	if !root {
		return &configs.Capabilities{}
	}
	caps := []string{
		"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
		"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
		"CAP_SYS_CHROOT", "CAP_AUDIT_WRITE", "CAP_SETFCAP",
	}
	return &configs.Capabilities{Bounding: caps, Effective: caps, Permitted: caps}
}

func (r *Runner) mounts(a action) []*configs.Mount {
	const noexec = unix.MS_NOEXEC | unix.MS_NOSUID | unix.MS_NODEV
	ptsData := "newinstance,ptmxmode=0666,mode=0620"
	if !r.identity.singleUID {
		ptsData += ",gid=5"
	}
	m := []*configs.Mount{
		{Source: "proc", Destination: "/proc", Device: "proc", Flags: noexec},
		{Source: "tmpfs", Destination: "/dev", Device: "tmpfs", Flags: unix.MS_NOSUID | unix.MS_STRICTATIME, Data: "mode=755,size=65536k"},
		{Source: "devpts", Destination: "/dev/pts", Device: "devpts", Flags: unix.MS_NOSUID | unix.MS_NOEXEC, Data: ptsData},
		{Source: "shm", Destination: "/dev/shm", Device: "tmpfs", Flags: noexec, Data: "mode=1777,size=65536k"},
		{Source: "mqueue", Destination: "/dev/mqueue", Device: "mqueue", Flags: noexec},
		{Source: "tmpfs", Destination: tmpPath, Device: "tmpfs", Flags: unix.MS_NOSUID | unix.MS_NODEV,
			Data: fmt.Sprintf("mode=1777,size=%d", r.cfg.TmpSizeBytes)},
	}
	if a.mode == ModeInputRoot {
		// The input root is / itself. Only the mounts of a BuildStream
		// sandbox, so that the sysroot needs no mount points beyond
		// /proc, /dev and /tmp.
		return m
	}
	if a.settings.hostNetwork {
		// sysfs belongs to the network namespace; outside a new one only a
		// bind of the host's is allowed. MS_RDONLY makes only its top
		// read-only; the attribute covers every mount below it too.
		m = append(m, &configs.Mount{Source: "/sys", Destination: "/sys", Device: "bind",
			Flags:   unix.MS_BIND | unix.MS_REC | unix.MS_RDONLY | noexec,
			RecAttr: &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV | unix.MOUNT_ATTR_NOEXEC}})
	} else {
		m = append(m, &configs.Mount{Source: "sysfs", Destination: "/sys", Device: "sysfs", Flags: noexec | unix.MS_RDONLY})
	}
	// The action's own cgroup, read-only: tools such as the JVM size
	// themselves from its limits.
	m = append(m, &configs.Mount{Source: "cgroup", Destination: "/sys/fs/cgroup", Device: "cgroup", Flags: noexec | unix.MS_RDONLY})
	for _, b := range a.rootfs.Binds {
		m = append(m, &configs.Mount{
			Source: b.Source, Destination: b.Destination, Device: "bind",
			Flags:   unix.MS_BIND | unix.MS_REC | unix.MS_RDONLY | unix.MS_NODEV,
			RecAttr: &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY},
		})
	}
	return append(m, &configs.Mount{
		Source: a.inputRoot, Destination: InputRootPath, Device: "bind",
		Flags: unix.MS_BIND | unix.MS_REC | unix.MS_NOSUID | unix.MS_NODEV,
	})
}

func (r *Runner) cgroupConfig(a action) *cgroups.Cgroup {
	var rules []*devconfig.Rule
	for _, d := range specconv.AllowedDevices {
		rules = append(rules, &d.Rule)
	}
	res := &cgroups.Resources{Devices: rules}
	if !r.cgroups.limitsEnforced {
		// Without delegated cgroups: Parent and Name instead of Path
		// tell libcontainer that failing to create them is expected.
		return &cgroups.Cgroup{Parent: r.cgroups.parent, Name: a.id, Resources: res, Rootless: r.rootless}
	}
	applyLimits(res, a.settings.limits)
	return &cgroups.Cgroup{Path: path.Join(r.cgroups.parent, a.id), Resources: res}
}

// applyLimits sets the positive limits in the description the cgroup is
// created from.
func applyLimits(res *cgroups.Resources, l limits.Limits) {
	for _, d := range limits.Table {
		if v := *d.Value(&l); v > 0 {
			d.Resources(res, v)
		}
	}
}
