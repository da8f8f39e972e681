package container

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sandbarn/sandbarn/errkind"
)

func TestRunsCommandAsUnprivilegedUser(t *testing.T) {
	r, _ := newTestRunner(t, nil)
	res := runScript(t, r, "id -u; id -g; pwd; hostname; echo oops >&2; exit 3", nil, time.Minute)
	if res.resp.ExitCode != 3 {
		t.Errorf("exit code %d, want 3 (stderr %q)", res.resp.ExitCode, res.stderr)
	}
	want := "1000\n1000\n" + InputRootPath + "\nsandbox\n"
	if res.stdout != want {
		t.Errorf("stdout %q, want %q", res.stdout, want)
	}
	if !strings.Contains(res.stderr, "oops") {
		t.Errorf("stderr %q lacks the command's output", res.stderr)
	}
}

func TestOnlyLoopbackNetwork(t *testing.T) {
	r, _ := newTestRunner(t, nil)
	res := runScript(t, r, "ls /sys/class/net; cat /sys/class/net/lo/operstate /sys/class/net/lo/flags", nil, time.Minute)
	fields := strings.Fields(res.stdout)
	if len(fields) != 3 || fields[0] != "lo" {
		t.Fatalf("interfaces and lo state: %q (stderr %q)", res.stdout, res.stderr)
	}
	// IFF_UP is bit 0 of the flags.
	if !strings.HasSuffix(fields[2], "9") && !strings.HasSuffix(fields[2], "1") {
		t.Errorf("lo is not up: flags %s", fields[2])
	}
}

func TestStandardNetworkRefusedUnlessEnabled(t *testing.T) {
	r, _ := newTestRunner(t, nil)
	_, err := tryScript(r, "true", map[string]string{"dockerNetwork": "standard"}, time.Minute)
	if errkind.Of(err) != errkind.Invalid {
		t.Errorf("dockerNetwork=standard gave %v, want InvalidArgument", err)
	}
}

func TestPrivilegedRefused(t *testing.T) {
	r, _ := newTestRunner(t, nil)
	_, err := tryScript(r, "true", map[string]string{"dockerPrivileged": "true"}, time.Minute)
	if errkind.Of(err) != errkind.Invalid || !strings.Contains(err.Error(), "dockerPrivileged") {
		t.Errorf("dockerPrivileged gave %v, want InvalidArgument naming it", err)
	}
}

func TestRunAsRoot(t *testing.T) {
	r, _ := newTestRunner(t, nil)
	res := runScript(t, r, "id -u; touch /etc/sandbarn-probe 2>/dev/null && echo wrote", map[string]string{"dockerRunAsRoot": "true"}, time.Minute)
	if res.stdout != "0\n" {
		t.Errorf("stdout %q, want uid 0 and no write to /etc", res.stdout)
	}
}

func TestProcMaskedAndReadOnly(t *testing.T) {
	r, _ := newTestRunner(t, nil)
	// /proc/kcore is absent on some kernels; masked, it reads as empty.
	script := `cat /proc/kcore 2>/dev/null | wc -c; cat /proc/keys | wc -c; echo x > /proc/sys/kernel/hostname 2>/dev/null && echo wrote-proc-sys; set -- /proc/[0-9]*; echo $#`
	res := runScript(t, r, script, map[string]string{"dockerRunAsRoot": "true"}, time.Minute)
	// The shell (which expands the glob itself: counting with a pipeline
	// raced with its processes starting), and with a prepared container
	// its init; nothing of the host's.
	want := "0\n0\n2\n"
	if r.cfg.OneShot {
		want = "0\n0\n1\n"
	}
	if res.stdout != want {
		t.Errorf("stdout %q, want %q (masked kcore and keys, read-only /proc/sys, only the action's processes)", res.stdout, want)
	}
}

func TestRootfsReadOnly(t *testing.T) {
	r, _ := newTestRunner(t, nil)
	script := `for p in / /usr /etc /sandbarn; do touch $p/probe 2>/dev/null && echo wrote $p; done
echo ok > /tmp/x && cat /tmp/x; echo $TMPDIR; touch probe && echo input-root-writable`
	res := runScript(t, r, script, map[string]string{"dockerRunAsRoot": "true"}, time.Minute)
	want := "ok\n/tmp\ninput-root-writable\n"
	if res.stdout != want {
		t.Errorf("stdout %q, want %q (stderr %q)", res.stdout, want, res.stderr)
	}
}

func TestMinimalDev(t *testing.T) {
	r, _ := newTestRunner(t, nil)
	res := runScript(t, r, "ls /dev | tr '\\n' ' '; head -c 4 /dev/zero | wc -c; echo x > /dev/null && echo null-ok", nil, time.Minute)
	for _, want := range []string{"null", "zero", "full", "random", "urandom", "tty", "pts", "shm", "4\n", "null-ok"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("/dev listing %q lacks %s (stderr %q)", res.stdout, want, res.stderr)
		}
	}
	if strings.Contains(res.stdout, "sda") || strings.Contains(res.stdout, "kmsg") || strings.Contains(res.stdout, "mem ") {
		t.Errorf("/dev exposes host devices: %q", res.stdout)
	}
}

func TestCachedInputFileCannotBeChanged(t *testing.T) {
	r, build := newTestRunner(t, nil)
	// The file stands for the worker's cache entry: owned by a uid outside
	// the sandbox's mapping, read-only, hardlinked into the input root.
	cached := filepath.Join(build, "cache-entry")
	if err := os.WriteFile(cached, []byte("original\n"), 0o555); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(cached, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(cached, filepath.Join(build, "root", "input")); err != nil {
		t.Fatal(err)
	}
	script := `cat input; echo changed > input; echo changed >> input; chmod 777 input; chown 0 input; truncate -s0 input; rm input; echo new > input; cat input`
	for _, root := range []string{"false", "true"} {
		res := runScript(t, r, script, map[string]string{"dockerRunAsRoot": root}, time.Minute)
		if !strings.HasPrefix(res.stdout, "original\n") {
			t.Errorf("root=%s: could not read the input: %q %q", root, res.stdout, res.stderr)
		}
		got, _ := os.ReadFile(cached)
		info, _ := os.Stat(cached)
		if string(got) != "original\n" || info.Mode().Perm() != 0o555 {
			t.Fatalf("root=%s: cached file changed to %q mode %v", root, got, info.Mode())
		}
		os.Remove(filepath.Join(build, "root", "input"))
		os.Link(cached, filepath.Join(build, "root", "input"))
	}
}

func TestOutputsReturnedToInputRootOwner(t *testing.T) {
	r, build := newTestRunner(t, nil)
	res := runScript(t, r, "mkdir -p out/sub && chmod 500 out/sub && echo hi > out/file", nil, time.Minute)
	if res.resp.ExitCode != 0 {
		t.Fatalf("exit %d: %s", res.resp.ExitCode, res.stderr)
	}
	for _, p := range []string{"root", "root/out", "root/out/file", "root/out/sub"} {
		info, err := os.Stat(filepath.Join(build, p))
		if err != nil {
			t.Fatal(err)
		}
		if st := info.Sys().(*syscall.Stat_t); st.Uid != 0 {
			t.Errorf("%s is owned by uid %d after the run, want the input root's owner 0", p, st.Uid)
		}
	}
}

// TestSeccompRefusesIOUring asks for an io_uring instance through perl's
// syscall (io_uring_setup is 425 on x86-64), as root in the sandbox.
func TestSeccompRefusesIOUring(t *testing.T) {
	if !seccompSupported {
		t.Skip("built without -tags seccomp")
	}
	if b, err := os.ReadFile("/proc/sys/kernel/io_uring_disabled"); err == nil && strings.TrimSpace(string(b)) != "0" {
		t.Skip("io_uring is disabled on this kernel, so the filter cannot be told apart")
	}
	if _, err := exec.LookPath("perl"); err != nil {
		t.Skip("the host rootfs has no perl to make the system call with (the VM's initramfs)")
	}
	r, _ := newTestRunner(t, nil)
	script := `perl -e '$p = "\0" x 120; $r = syscall(425, 1, $p); print $r < 0 ? "errno " . ($! + 0) : "fd $r"'`
	res := runScript(t, r, script, map[string]string{"dockerRunAsRoot": "true"}, time.Minute)
	if res.stdout != "errno 1" {
		t.Errorf("io_uring_setup gave %q (stderr %q), want EPERM", res.stdout, res.stderr)
	}
}

func TestSeccompRefusesMountAndUnshare(t *testing.T) {
	if !seccompSupported {
		t.Skip("built without -tags seccomp")
	}
	r, _ := newTestRunner(t, nil)
	// unshare -U works for anyone on this kernel unless a filter stops it.
	script := `grep '^Seccomp:' /proc/self/status; mount -t tmpfs none /tmp 2>/dev/null || echo no-mount; unshare -U true 2>&1 | grep -c 'not permitted'`
	res := runScript(t, r, script, map[string]string{"dockerRunAsRoot": "true"}, time.Minute)
	if res.stdout != "Seccomp:\t2\nno-mount\n1\n" {
		t.Errorf("mount/unshare were not refused: %q %q", res.stdout, res.stderr)
	}
}

func TestPreparedContainerRunsSecondAction(t *testing.T) {
	r, _ := newTestRunner(t, func(c *Config) { c.OneShot, c.PrepareInputRoots = false, nil })
	for i := 0; i < 3; i++ {
		res := runScript(t, r, "id -u; pwd; echo err >&2; exit 4", nil, time.Minute)
		if res.resp.ExitCode != 4 || res.stdout != "1000\n"+InputRootPath+"\n" || res.stderr != "err\n" {
			t.Fatalf("run %d: exit %d stdout %q stderr %q", i, res.resp.ExitCode, res.stdout, res.stderr)
		}
	}
	if n := r.Stats().PreparedRuns; n != 2 {
		t.Errorf("%d actions ran in a prepared container, want 2 (all but the first)", n)
	}
}

func TestReplacedInputRootFallsBackToNewContainer(t *testing.T) {
	r, build := newTestRunner(t, func(c *Config) { c.OneShot, c.PrepareInputRoots = false, []string{"root"} })
	r.pool.background.Wait()
	root := filepath.Join(build, "root")
	if err := os.RemoveAll(root); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "fresh"), []byte("new tree\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		res := runScript(t, r, "cat fresh", nil, time.Minute)
		if res.stdout != "new tree\n" {
			t.Fatalf("run %d sees %q in the replaced input root (stderr %q)", i, res.stdout, res.stderr)
		}
	}
	if n := r.Stats().PreparedRuns; n != 0 {
		t.Errorf("%d actions ran in a container bound to the old directory", n)
	}
}

func TestNoCoreFiles(t *testing.T) {
	r, _ := newTestRunner(t, nil)
	if res := runScript(t, r, "ulimit -c; ulimit -Hc", nil, time.Minute); res.stdout != "0\n0\n" {
		t.Errorf("core file limits %q, want 0 soft and hard", res.stdout)
	}
}

// TestHostNetworkSysIsReadOnlyThroughout: with the host's network, /sys is
// a recursive bind of the host's; every mount below it must be read-only
// too, not just the top (the host's cgroup hierarchies among them). The
// sandbox's own tmpfs holding its cgroup view is the one exception.
func TestHostNetworkSysIsReadOnlyThroughout(t *testing.T) {
	r, _ := newTestRunner(t, func(c *Config) { c.AllowStandardNetwork = true })
	script := `awk '$5 ~ "^/sys" { n++; for (i = 7; $i != "-"; i++) {}; ` +
		`if ($6 !~ /(^|,)ro(,|$)/ && !($5 == "/sys/fs/cgroup" && $(i+1) == "tmpfs")) print "writable", $5 } ` +
		`END { print n, "mounts" }' /proc/self/mountinfo`
	res := runScript(t, r, script, map[string]string{"dockerNetwork": "standard", "dockerRunAsRoot": "true"}, time.Minute)
	if strings.Contains(res.stdout, "writable") || !strings.HasSuffix(res.stdout, " mounts\n") || strings.HasPrefix(res.stdout, " mounts") {
		t.Errorf("mounts under /sys: %q (stderr %q)", res.stdout, res.stderr)
	}
}
