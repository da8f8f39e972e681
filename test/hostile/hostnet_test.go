package hostile

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sandbarn/sandbarn/test/testenv/runnerfarm"
)

// sandboxRootOnHost is the host uid behind sandbox root in the runner
// farm's default mapping.
const sandboxRootOnHost = 1_000_000_000

// TestHostNetworkSysStaysReadOnly: an action that may use the host's
// network sees the host's /sys, and the host's cgroup hierarchies are
// mounted below it (covered by the sandbox's own cgroup view). The host
// holds a cgroup delegated to the sandbox's root uid, as a delegated
// subtree would be. As sandbox root, the action tries to uncover the
// hierarchies and to create a child cgroup and write a limit in the
// delegated one, and to remount every mount under /sys read-write. None
// may succeed, and every host mount under /sys must be read-only in the
// sandbox, so a way past the cover would still find nothing to write.
func TestHostNetworkSysStaysReadOnly(t *testing.T) {
	f := runnerfarm.Start(t, runnerfarm.Options{Container: "allowStandardNetwork: true,"})
	name := "sandbarn-hostile-" + strconv.Itoa(os.Getpid())
	delegated := delegateCgroups(t, name)
	before := readFiles(delegated, "pids.max")
	script := `umount /sys/fs/cgroup 2>/dev/null || umount -l /sys/fs/cgroup 2>/dev/null
for d in /sys/fs/cgroup/*/` + name + ` /sys/fs/cgroup/` + name + `; do
  [ -d "$d" ] || continue
  echo "reached $d"
  mkdir "$d/escape" 2>/dev/null && echo "created in $d"
  [ -e "$d/pids.max" ] && (echo 5 > "$d/pids.max") 2>/dev/null && echo "wrote $d/pids.max"
done
for m in $(awk '$5 ~ "^/sys" { print $5 }' /proc/self/mountinfo); do
  mount -o remount,bind,rw "$m" 2>/dev/null && echo "remounted $m"
done
awk '$5 ~ "^/sys" { n++; for (i = 7; $i != "-"; i++) {}
  if ($6 !~ /(^|,)ro(,|$)/ && !($5 == "/sys/fs/cgroup" && $(i+1) == "tmpfs")) print "writable mount", $5 }
  END { print n, "mounts" }' /proc/self/mountinfo`
	o := f.Attempt(t, script, map[string]string{"dockerNetwork": "standard", "dockerRunAsRoot": "true"})
	for _, bad := range []string{"created", "wrote", "remounted", "writable mount"} {
		if strings.Contains(o.Stdout, bad) {
			t.Errorf("the action's /sys is not read-only:\n%s", o.Stdout)
			break
		}
	}
	if !strings.HasSuffix(o.Stdout, " mounts\n") || strings.HasPrefix(o.Stdout, "0 mounts") {
		t.Errorf("the action saw no mounts under /sys: %q (stderr %q)", o.Stdout, o.Stderr)
	}
	for _, d := range delegated {
		if _, err := os.Stat(filepath.Join(d, "escape")); err == nil {
			t.Errorf("a cgroup was created in %s", d)
		}
	}
	if after := readFiles(delegated, "pids.max"); after != before {
		t.Errorf("delegated limits changed: %q -> %q", before, after)
	}
}

// delegateCgroups creates a cgroup called name in every hierarchy that
// has the pids controller and gives it to the sandbox's root, as a
// delegation to that uid would.
func delegateCgroups(t *testing.T, name string) []string {
	t.Helper()
	var dirs []string
	for _, parent := range []string{"/sys/fs/cgroup/pids", "/sys/fs/cgroup"} {
		if _, err := os.Stat(filepath.Join(parent, "cgroup.procs")); err != nil {
			continue
		}
		d := filepath.Join(parent, name)
		if err := os.Mkdir(d, 0o755); err != nil {
			continue
		}
		t.Cleanup(func() { os.Remove(filepath.Join(d, "escape")); os.Remove(d) })
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			os.Chown(filepath.Join(d, e.Name()), sandboxRootOnHost, sandboxRootOnHost)
		}
		runnerfarm.Must(t, os.Chown(d, sandboxRootOnHost, sandboxRootOnHost))
		dirs = append(dirs, d)
	}
	if len(dirs) == 0 {
		t.Skip("no cgroup hierarchy with the pids controller to delegate")
	}
	return dirs
}

func readFiles(dirs []string, file string) string {
	var b strings.Builder
	for _, d := range dirs {
		data, _ := os.ReadFile(filepath.Join(d, file))
		b.WriteString(d + ": " + string(data))
	}
	return b.String()
}
