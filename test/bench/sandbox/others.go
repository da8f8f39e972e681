package main

import (
	"encoding/json"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
)

// hostDirs are what the rootfs shows of the host, as in the runner's
// default rootfs: read-only binds of real directories, symlinks kept.
var hostDirs = []string{"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"}

// others adds rows for the sandboxing tools that are installed, each
// with user, mount, network, PID, IPC, UTS and cgroup namespaces, the
// host's system directories read-only, a private /tmp and the input root
// bound read-write.
func others(t *table, build string) {
	rootfs := filepath.Join(build, "rootfs")
	input := filepath.Join(build, "root")
	if path, err := exec.LookPath("bwrap"); err == nil {
		args := []string{"--unshare-all", "--die-with-parent", "--new-session", "--hostname", "sandbox",
			"--uid", "1000", "--gid", "1000"}
		for _, d := range hostDirs {
			if target, err := os.Readlink(d); err == nil {
				args = append(args, "--symlink", target, d)
			} else if _, err := os.Stat(d); err == nil {
				args = append(args, "--ro-bind", d, d)
			}
		}
		args = append(args, "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
			"--bind", input, "/sandbarn/root", "--chdir", "/sandbarn/root", "/bin/true")
		t.add("bwrap", func() error { return exec.Command(path, args...).Run() })
	} else {
		log.Print("bwrap not installed (apt-get install bubblewrap)")
	}
	bundle := filepath.Join(build, "bundle")
	if err := writeBundle(bundle, rootfs, input); err != nil {
		log.Fatal(err)
	}
	for _, tool := range []string{"crun", "runc"} {
		path, err := exec.LookPath(tool)
		if err != nil {
			log.Printf("%s not installed (apt-get install %s)", tool, tool)
			continue
		}
		// crun refuses cgroup v1 hosts that also mount cgroup2 (hybrid),
		// whatever its cgroup manager; its row is then skipped with
		// that reason.
		global := []string{"--root", filepath.Join(build, tool+"-state")}
		i := 0
		t.add(tool, func() error {
			i++
			id := "bench-" + strconv.Itoa(i)
			args := append(append([]string{}, global...), "run", "--bundle", bundle, id)
			out, err := exec.Command(path, args...).CombinedOutput()
			if err != nil {
				return fmt.Errorf("%v: %s", err, out)
			}
			return nil
		})
	}
}

// writeBundle writes an OCI bundle whose rootfs is a skeleton of mount
// points, configured like the runner's containers.
func writeBundle(bundle, rootfs, input string) error {
	if err := os.MkdirAll(bundle, 0o755); err != nil {
		return err
	}
	for _, d := range []string{"proc", "dev", "sys", "tmp", "sandbarn/root"} {
		if err := os.MkdirAll(filepath.Join(rootfs, d), 0o755); err != nil {
			return err
		}
	}
	mounts := []map[string]any{
		{"destination": "/proc", "type": "proc", "source": "proc"},
		{"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": []string{"nosuid", "nodev", "mode=1777"}},
		{"destination": "/sandbarn/root", "type": "bind", "source": input, "options": []string{"rbind", "nosuid", "nodev"}},
	}
	for _, d := range hostDirs {
		inside := filepath.Join(rootfs, d)
		if target, err := os.Readlink(d); err == nil {
			os.Remove(inside)
			if err := os.Symlink(target, inside); err != nil {
				return err
			}
			continue
		}
		if _, err := os.Stat(d); err != nil {
			continue
		}
		if err := os.MkdirAll(inside, 0o755); err != nil {
			return err
		}
		mounts = append(mounts, map[string]any{"destination": d, "type": "bind", "source": d, "options": []string{"rbind", "ro", "nodev"}})
	}
	idMap := []map[string]any{{"containerID": 0, "hostID": 1_000_000_000, "size": 65536}}
	ns := []map[string]string{}
	for _, n := range []string{"user", "mount", "network", "pid", "ipc", "uts", "cgroup"} {
		ns = append(ns, map[string]string{"type": n})
	}
	spec := map[string]any{
		"ociVersion": "1.0.2",
		"process": map[string]any{
			"user": map[string]int{"uid": 1000, "gid": 1000}, "args": []string{"/bin/true"}, "cwd": "/sandbarn/root",
			"env": []string{"PATH=/usr/bin:/bin"}, "noNewPrivileges": true,
		},
		"root":     map[string]any{"path": rootfs, "readonly": true},
		"hostname": "sandbox",
		"mounts":   mounts,
		"linux": map[string]any{
			"namespaces": ns, "uidMappings": idMap, "gidMappings": idMap,
			"maskedPaths":   []string{"/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"},
			"readonlyPaths": []string{"/proc/sys", "/proc/sysrq-trigger", "/proc/bus", "/proc/fs", "/proc/irq"},
			"resources":     map[string]any{"pids": map[string]int{"limit": 256}, "memory": map[string]int64{"limit": 512 << 20}},
		},
	}
	data, err := json.MarshalIndent(spec, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(bundle, "config.json"), data, 0o644)
}
