package container

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/sandbarn/sandbarn/errkind"
	runnerpb "github.com/sandbarn/sandbarn/proto/runner"
	testimages "github.com/sandbarn/sandbarn/test/images"
)

// chrootModes serve the instance name "chroot" in ModeInputRoot.
func chrootModes(c *Config) {
	c.ExecutionModes = []ExecutionMode{{"", ModeImage}, {"chroot", ModeInputRoot}}
}

// writeSysroot fills the input root with a busybox sysroot that lacks
// /proc and /tmp (the runner must add and remove them) and has an empty
// /dev, and returns a cached-looking file: owned by host root, which the
// sandbox does not map.
func writeSysroot(t *testing.T, root string) string {
	t.Helper()
	if _, err := os.Stat(testimages.BusyboxBinary); err != nil {
		t.Skipf("the sysroot needs busybox-static (apt-get install busybox-static): %v", err)
	}
	if err := testimages.Busybox(root); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"proc", "tmp", "sys"} {
		if err := os.Remove(filepath.Join(root, d)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(root, "src", "pkg"), 0o755); err != nil {
		t.Fatal(err)
	}
	cached := filepath.Join(root, "etc", "sysroot-marker")
	if err := os.WriteFile(cached, []byte("this sysroot\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return cached
}

func runInstance(r *Runner, instance, workDir, script string, props map[string]string) (result, error) {
	platform := &remoteexecution.Platform{}
	for k, v := range props {
		platform.Properties = append(platform.Properties, &remoteexecution.Platform_Property{Name: k, Value: v})
	}
	req := &runnerpb.RunRequest{
		Arguments:            []string{"sh", "-c", "-e", script},
		EnvironmentVariables: map[string]string{"PATH": "/bin"},
		WorkingDirectory:     workDir,
		StdoutPath:           "stdout",
		StderrPath:           "stderr",
		InputRootDirectory:   "root",
		InstanceName:         instance,
		Platform:             platform,
		Timeout:              durationpb.New(time.Minute),
	}
	resp, err := r.Run(context.Background(), req)
	if err != nil {
		return result{}, err
	}
	out, _ := os.ReadFile(filepath.Join(r.cfg.BuildDirectory, "stdout"))
	errOut, _ := os.ReadFile(filepath.Join(r.cfg.BuildDirectory, "stderr"))
	return result{resp: resp, stdout: string(out), stderr: string(errOut)}, nil
}

func TestInputRootIsTheRootFilesystem(t *testing.T) {
	r, build := newTestRunner(t, chrootModes)
	root := filepath.Join(build, "root")
	cached := writeSysroot(t, root)
	script := `
cat /etc/sysroot-marker
pwd
stat -c '%F %t:%T' /dev/null
echo gone > /dev/null
wc -c < /dev/null
head -n 1 /proc/self/status
grep -c ' /proc proc ' /proc/mounts
touch /tmp/scratch && echo tmp-writable
echo made > /output
mkdir -p out && echo nested > out/file
echo changed >> /etc/sysroot-marker 2>/dev/null || echo cached-file-protected
chmod 666 /etc/sysroot-marker 2>/dev/null || echo cached-mode-protected
ls /sandbarn 2>/dev/null || echo no-image-paths
`
	res, err := runInstance(r, "chroot", "src/pkg", script, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := "this sysroot\n/src/pkg\ncharacter special file 1:3\n0\nName:\thead\n1\ntmp-writable\n" +
		"cached-file-protected\ncached-mode-protected\nno-image-paths\n"
	if res.resp.ExitCode != 0 || res.stdout != want {
		t.Fatalf("exit %d, stdout %q, want %q (stderr %q)", res.resp.ExitCode, res.stdout, want, res.stderr)
	}
	for rel, content := range map[string]string{"output": "made\n", "src/pkg/out/file": "nested\n", "etc/sysroot-marker": "this sysroot\n"} {
		if got, err := os.ReadFile(filepath.Join(root, rel)); err != nil || string(got) != content {
			t.Errorf("%s holds %q (%v), want %q", rel, got, err, content)
		}
	}
	if info, err := os.Stat(cached); err != nil || info.Mode().Perm() != 0o644 {
		t.Errorf("cached file mode %v (%v), want 0644", info.Mode(), err)
	}
	// The runner added /proc and /tmp; outputs must not contain them.
	for _, d := range []string{"proc", "tmp"} {
		if _, err := os.Lstat(filepath.Join(root, d)); !os.IsNotExist(err) {
			t.Errorf("mount point %s left in the input root (%v)", d, err)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "dev")); err != nil {
		t.Errorf("the input root's own /dev was removed: %v", err)
	}
}

func TestInputRootKeepsIsolation(t *testing.T) {
	r, build := newTestRunner(t, chrootModes)
	writeSysroot(t, filepath.Join(build, "root"))
	script := `id -u; hostname; ls /sys/class/net 2>/dev/null || echo no-sys; set -- /proc/[0-9]*; echo $#; cat /proc/kcore 2>/dev/null | wc -c`
	res, err := runInstance(r, "chroot", "", script, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Only the shell's own process is visible (it expands the glob itself).
	if want := "1000\nsandbox\nno-sys\n1\n0\n"; res.stdout != want {
		t.Errorf("stdout %q, want %q (stderr %q)", res.stdout, want, res.stderr)
	}
	res, err = runInstance(r, "chroot", "", `ip link 2>/dev/null | grep -c '^[0-9]'`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(res.stdout) != "1" {
		t.Errorf("interfaces seen: %q, want loopback alone (stderr %q)", res.stdout, res.stderr)
	}
}

func TestInputRootRequests(t *testing.T) {
	r, build := newTestRunner(t, chrootModes)
	root := filepath.Join(build, "root")
	writeSysroot(t, root)
	_, err := runInstance(r, "chroot", "", "true", map[string]string{"container-image": "docker://example.org/x:1"})
	if errkind.Of(err) != errkind.Invalid {
		t.Errorf("container-image in input-root mode gave %v, want InvalidArgument", err)
	}
	// The empty instance name stays in image mode: the host's tools at
	// /bin, and the input root at its fixed path.
	res, err := runInstance(r, "", "", "pwd; test -e /etc/sysroot-marker || echo host-root", nil)
	if err != nil || res.stdout != InputRootPath+"\nhost-root\n" {
		t.Errorf("image mode: %+v, %v", res, err)
	}
	if err := os.Symlink("/etc", filepath.Join(root, "proc")); err != nil {
		t.Fatal(err)
	}
	if _, err := runInstance(r, "chroot", "", "true", nil); errkind.Of(err) != errkind.Invalid {
		t.Errorf("/proc as a symlink gave %v, want InvalidArgument", err)
	}
}

func TestUnixUIDAndGID(t *testing.T) {
	r, _ := newTestRunner(t, nil)
	res := runScript(t, r, "id -u; id -g; touch out && stat -c '%u %g' out", map[string]string{"unixUID": "1234", "unixGID": "2345"}, time.Minute)
	if res.stdout != "1234\n2345\n1234 2345\n" {
		t.Errorf("stdout %q (stderr %q), want the requested uid and gid", res.stdout, res.stderr)
	}
	res = runScript(t, r, "id -u; touch /etc/probe 2>/dev/null && echo wrote", map[string]string{"unixUID": "0", "unixGID": "0"}, time.Minute)
	if res.stdout != "0\n" {
		t.Errorf("unixUID=0: stdout %q, want root that still cannot write the rootfs", res.stdout)
	}
	for _, props := range []map[string]string{
		{"unixUID": "70000"},
		{"unixGID": "4294967295"},
		{"unixUID": "-1"},
		{"unixUID": "1000", "dockerRunAsRoot": "true"},
		{"network": "on"},
		{"network": "maybe"},
	} {
		if _, err := tryScript(r, "true", props, time.Minute); errkind.Of(err) != errkind.Invalid {
			t.Errorf("%v gave %v, want InvalidArgument", props, err)
		}
	}
	res = runScript(t, r, "ls /sys/class/net", map[string]string{"network": "off", "OSFamily": "linux", "ISA": "x86-64"}, time.Minute)
	if res.stdout != "lo\n" {
		t.Errorf("network=off: interfaces %q, want lo alone", res.stdout)
	}
}
