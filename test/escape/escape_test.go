package escape

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sandbarn/sandbarn/test/testenv/runnerfarm"
)

var asRoot = map[string]string{"dockerRunAsRoot": "true"}

// escapeAttempt is one way out of the sandbox. needsLimits: it relies on cgroup
// limits, which a rootless runner on cgroup v1 does not have.
type escapeAttempt struct {
	name        string
	run         func(t *testing.T, f *farm)
	needsLimits bool
	// rootOnly: the expectations assume several mapped uids.
	rootOnly bool
}

var attempts = []escapeAttempt{
	{name: "ReadHostFiles", run: readHostFiles},
	{name: "ChangeCachedInput", run: changeCachedInput},
	{name: "WriteRootfs", run: writeRootfs},
	{name: "ConnectHostLoopback", run: connectHostLoopback},
	{name: "SeeOrSignalHostProcesses", run: seeOrSignalHostProcesses},
	{name: "Mount", run: mount},
	{name: "LoadModule", run: loadModule},
	{name: "WriteProcSys", run: writeProcSys},
	{name: "SetuidBinary", run: setuidBinary, rootOnly: true},
	{name: "ForkBomb", run: forkBomb, needsLimits: true},
	{name: "MemoryBomb", run: memoryBomb, needsLimits: true},
	{name: "FillTmp", run: fillTmp},
	{name: "BackgroundProcess", run: backgroundProcess},
}

// TestEscapeAttempts runs every attempt against one bb_runner running as
// root, in the same input root, as a worker slot would; each checks the
// action's view and the host's state afterwards.
func TestEscapeAttempts(t *testing.T) {
	f := startFarm(t, false)
	for _, a := range attempts {
		t.Run(a.name, func(t *testing.T) { a.run(t, f) })
	}
}

// TestRootlessEscapeAttempts runs the attempts that do not depend on
// cgroup limits against bb_runner started as nobody.
func TestRootlessEscapeAttempts(t *testing.T) {
	f := startFarm(t, true)
	for _, a := range attempts {
		if a.needsLimits || a.rootOnly {
			continue
		}
		t.Run(a.name, func(t *testing.T) { a.run(t, f) })
	}
}

func readHostFiles(t *testing.T, f *farm) {
	for _, props := range []map[string]string{nil, asRoot} {
		o := f.Attempt(t, "cat "+filepath.Join(f.Cache, "secret")+" "+f.rootSecret+"; ls "+f.Dir+" /root; cat /proc/1/root"+f.rootSecret, props)
		if strings.Contains(o.Stdout, secretText) || strings.Contains(o.Stdout, "runner.sock") {
			t.Errorf("action read host files (props %v): %q", props, o.Stdout)
		}
	}
}

func changeCachedInput(t *testing.T, f *farm) {
	script := "echo changed > input.txt; chmod 666 input.txt; chown 0 input.txt; " +
		"ln -f input.txt other && echo changed >> other; truncate -s 0 input.txt; cat input.txt"
	for _, props := range []map[string]string{nil, asRoot} {
		f.Attempt(t, script, props)
		data, err := os.ReadFile(filepath.Join(f.Cache, "input.txt"))
		must(t, err)
		info, err := os.Stat(filepath.Join(f.Cache, "input.txt"))
		must(t, err)
		st := info.Sys().(*syscall.Stat_t)
		if string(data) != runnerfarm.InputText || info.Mode().Perm() != 0o444 || st.Uid != 0 {
			t.Fatalf("cached input changed (props %v): %q mode %v uid %d", props, data, info.Mode(), st.Uid)
		}
	}
	// The next action sees the cached content through the same link.
	if o := f.Attempt(t, "cat input.txt", nil); o.Stdout != runnerfarm.InputText {
		t.Errorf("next action reads %q", o.Stdout)
	}
}

func writeRootfs(t *testing.T, f *farm) {
	marker := "sandbarn-escape-" + strconv.Itoa(os.Getpid())
	o := f.Attempt(t, "for d in /etc /usr /usr/bin /; do touch $d/"+marker+" && echo wrote $d; done", asRoot)
	if strings.Contains(o.Stdout, "wrote") {
		t.Errorf("rootfs writable: %q", o.Stdout)
	}
	for _, d := range []string{"/etc", "/usr", "/usr/bin"} {
		if _, err := os.Stat(filepath.Join(d, marker)); err == nil {
			os.Remove(filepath.Join(d, marker))
			t.Errorf("action created %s on the host", filepath.Join(d, marker))
		}
	}
}

func connectHostLoopback(t *testing.T, f *farm) {
	addr, accepted := listen(t)
	host, port, _ := strings.Cut(addr, ":")
	o := f.Attempt(t, "exec 3<>/dev/tcp/"+host+"/"+port+" && echo connected", nil)
	time.Sleep(100 * time.Millisecond)
	if strings.Contains(o.Stdout, "connected") || accepted() > 0 {
		t.Errorf("action reached the host's loopback: %q, %d connections", o.Stdout, accepted())
	}
}

func seeOrSignalHostProcesses(t *testing.T, f *farm) {
	pid := strconv.Itoa(f.Runner.Process.Pid)
	script := "ls -d /proc/[0-9]* | wc -l; kill -9 " + pid + " && echo killed; kill -9 -1; " +
		"readlink /proc/1/fd/3 && echo saw-init-fds; (exec 5</proc/1/fd/3) && echo opened-init-socket; " +
		"cat /proc/1/environ && echo saw-init-env; cat /proc/1/maps && echo saw-init-memory"
	o := f.Attempt(t, script, asRoot)
	if n, _ := strconv.Atoi(strings.Fields(o.Stdout + " 0")[0]); n > 5 {
		t.Errorf("action sees %d processes", n)
	}
	if strings.Contains(o.Stdout, "killed") || strings.Contains(o.Stdout, "saw-init") || strings.Contains(o.Stdout, "opened") {
		t.Errorf("action reached other processes: %q", o.Stdout)
	}
	if err := f.Runner.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("runner is gone: %v", err)
	}
	if o := f.Attempt(t, "echo alive", nil); o.Stdout != "alive\n" {
		t.Errorf("runner no longer runs actions: %q %q", o.Stdout, o.Stderr)
	}
}

func mount(t *testing.T, f *farm) {
	o := f.Attempt(t, "mkdir -p /tmp/m; mount -t tmpfs none /tmp/m && echo mounted; "+
		"unshare -rm true && echo unshared; mount --bind / /tmp/m && echo bound", asRoot)
	if strings.Contains(o.Stdout, "mounted") || strings.Contains(o.Stdout, "unshared") || strings.Contains(o.Stdout, "bound") {
		t.Errorf("mount operations worked: %q", o.Stdout)
	}
}

func loadModule(t *testing.T, f *farm) {
	_, loadedBefore := os.Stat("/sys/module/dummy")
	o := f.Attempt(t, "modprobe dummy && echo loaded; insmod /lib/modules/*/kernel/drivers/net/dummy.ko* && echo inserted", asRoot)
	if strings.Contains(o.Stdout, "loaded") || strings.Contains(o.Stdout, "inserted") {
		t.Errorf("module loading worked: %q", o.Stdout)
	}
	if _, err := os.Stat("/sys/module/dummy"); loadedBefore != nil && err == nil {
		t.Errorf("the dummy module appeared on the host")
	}
}

func writeProcSys(t *testing.T, f *farm) {
	before, err := os.ReadFile("/proc/sys/fs/file-max")
	must(t, err)
	o := f.Attempt(t, "echo 4242 > /proc/sys/fs/file-max && echo wrote; echo 1 > /proc/sysrq-trigger && echo sysrq", asRoot)
	after, _ := os.ReadFile("/proc/sys/fs/file-max")
	if strings.Contains(o.Stdout, "wrote") || strings.Contains(o.Stdout, "sysrq") || string(before) != string(after) {
		t.Errorf("/proc/sys written: %q, file-max %q -> %q", o.Stdout, before, after)
	}
}

func setuidBinary(t *testing.T, f *farm) {
	// A set-uid-root copy of id in the input root, as a malicious
	// input tree could carry; the action runs as uid 1000.
	id := filepath.Join(f.Build, runnerfarm.SlotRoot, "suid-id")
	data, err := os.ReadFile("/usr/bin/id")
	must(t, err)
	must(t, os.WriteFile(id, data, 0o755))
	must(t, os.Chown(id, 0, 0))
	must(t, os.Chmod(id, 0o4755|os.ModeSetuid))
	defer os.Remove(id)
	o := f.Attempt(t, "./suid-id -u; ./suid-id -ru; grep NoNewPrivs /proc/self/status; su -c id root </dev/null && echo su-worked", nil)
	if o.Stdout != "1000\n1000\nNoNewPrivs:\t1\n" {
		t.Errorf("escalation through set-uid: %q (stderr %q)", o.Stdout, o.Stderr)
	}
}

func forkBomb(t *testing.T, f *farm) {
	start := time.Now()
	o := f.Run(t, "bomb() { bomb | bomb & }; bomb; sleep 5; echo survived", map[string]string{"pids-limit": "64"}, 20*time.Second)
	if !strings.Contains(o.Stderr, "fork") {
		t.Errorf("no process creation failed: stderr %q", o.Stderr[:min(len(o.Stderr), 300)])
	}
	u := o.Resp.Usage
	if u.GetPidsLimit() != 64 || (u.GetPidsPeak() != 0 && u.GetPidsPeak() > 64) {
		t.Errorf("pids limit %d, peak %d", u.GetPidsLimit(), u.GetPidsPeak())
	}
	if time.Since(start) > 40*time.Second {
		t.Errorf("fork bomb took %v", time.Since(start))
	}
	checkNothingLeft(t, f, "bomb")
	if o := f.Attempt(t, "echo alive", nil); o.Stdout != "alive\n" {
		t.Errorf("runner unusable after the fork bomb: %q", o.Stderr)
	}
}

func memoryBomb(t *testing.T, f *farm) {
	o := f.Run(t, "head -c 1000000000 /dev/zero | tail -n 1 >/dev/null; echo survived", map[string]string{"memory-limit": "64MiB"}, time.Minute)
	if !o.Resp.Usage.GetOomKilled() || o.Resp.ExitCode == 0 {
		t.Errorf("oom_killed %v exit %d", o.Resp.Usage.GetOomKilled(), o.Resp.ExitCode)
	}
	lines := strings.Split(strings.TrimSpace(o.Stderr), "\n")
	if last := lines[len(lines)-1]; !strings.Contains(last, "memory limit of 64 MiB") {
		t.Errorf("last stderr line %q does not name the memory limit", last)
	}
}

func fillTmp(t *testing.T, f *farm) {
	o := f.Attempt(t, "dd if=/dev/zero of=/tmp/fill bs=1M count=200 2>&1; ls -l /tmp/fill | cut -d' ' -f5", nil)
	if !strings.Contains(o.Stdout, "No space left") {
		t.Errorf("filling /tmp did not hit its size: %q", o.Stdout)
	}
	fields := strings.Fields(o.Stdout)
	if n, err := strconv.Atoi(fields[len(fields)-1]); err != nil || n > 16<<20 {
		t.Errorf("/tmp/fill grew to %q bytes, beyond the 16 MiB /tmp", fields[len(fields)-1])
	}
	if o := f.Attempt(t, "ls /tmp", nil); strings.TrimSpace(o.Stdout) != "" {
		t.Errorf("the next action's /tmp is not empty: %q", o.Stdout)
	}
}

func backgroundProcess(t *testing.T, f *farm) {
	o := f.Attempt(t, "(setsid sleep 4242 >/dev/null 2>&1 &); nohup sleep 4243 >/dev/null 2>&1 & disown; echo started", nil)
	if o.Stdout != "started\n" {
		t.Fatalf("stdout %q stderr %q", o.Stdout, o.Stderr)
	}
	checkNothingLeft(t, f, "sleep 424")
}

// checkNothingLeft fails if any host process's command line contains
// marker once the action is over.
func checkNothingLeft(t *testing.T, f *farm, marker string) {
	t.Helper()
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		cmd, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if line := strings.ReplaceAll(string(cmd), "\x00", " "); strings.Contains(line, marker) && !strings.Contains(line, "bash -c") {
			t.Errorf("process %s %q survived the action", e.Name(), line)
		}
	}
}
