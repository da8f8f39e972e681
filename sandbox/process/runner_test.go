package process_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	runnerpb "github.com/sandbarn/sandbarn/proto/runner"
	"github.com/sandbarn/sandbarn/sandbox/process"
)

// modes are the two ways the runner can track an action's processes.
var modes = []string{"cgroup", "processgroup"}

// testCgroupParent returns a cgroup for one test's action cgroups, or
// skips the test when this machine cannot provide one.
func testCgroupParent(t testing.TB) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("creating cgroups needs root")
	}
	def, err := process.DefaultCgroupParent()
	if err != nil {
		t.Skipf("no cgroup v2 hierarchy: %v", err)
	}
	name := strings.NewReplacer("/", "-", " ", "-").Replace(t.Name())
	parent := filepath.Join(filepath.Dir(def), fmt.Sprintf("sandbarn-test-%d-%s", os.Getpid(), name))
	t.Cleanup(func() { os.Remove(parent) })
	return parent
}

// newRunner returns a runner on a fresh build directory holding an input
// root "root" and a temporary directory "tmp".
func newRunner(t testing.TB, mode string) (*process.Runner, string) {
	t.Helper()
	build := t.TempDir()
	for _, d := range []string{"root", "tmp"} {
		if err := os.Mkdir(filepath.Join(build, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	opts := process.Options{BuildDirectory: build}
	if mode == "cgroup" {
		opts.CgroupParent = testCgroupParent(t)
	}
	r, err := process.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return r, build
}

// shell returns a request running script with sh in the input root.
func shell(script string) *runnerpb.RunRequest {
	return &runnerpb.RunRequest{
		Arguments:            []string{"sh", "-c", script},
		EnvironmentVariables: map[string]string{"PATH": "/usr/bin:/bin"},
		InputRootDirectory:   "root",
		StdoutPath:           "stdout",
		StderrPath:           "stderr",
		TemporaryDirectory:   "tmp",
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func run(t *testing.T, r *process.Runner, req *runnerpb.RunRequest) *runnerpb.RunResponse {
	t.Helper()
	resp, err := r.Run(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func forEachMode(t *testing.T, f func(t *testing.T, mode string)) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) { f(t, mode) })
	}
}

func TestEnvironmentIsExactlyTheRequests(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode string) {
		r, build := newRunner(t, mode)
		req := shell("env")
		req.Arguments = []string{"/usr/bin/env"}
		req.EnvironmentVariables = map[string]string{"B": "2", "A": "x y"}
		run(t, r, req)
		want := "A=x y\nB=2\nTMPDIR=" + filepath.Join(build, "tmp") + "\n"
		if got := readFile(t, filepath.Join(build, "stdout")); got != want {
			t.Errorf("environment = %q; want %q", got, want)
		}

		// A TMPDIR of the request's own wins; no temporary directory, no TMPDIR.
		req.EnvironmentVariables = map[string]string{"TMPDIR": "/mine"}
		run(t, r, req)
		if got := readFile(t, filepath.Join(build, "stdout")); got != "TMPDIR=/mine\n" {
			t.Errorf("environment = %q; want the request's TMPDIR only", got)
		}
		req.EnvironmentVariables, req.TemporaryDirectory = nil, ""
		run(t, r, req)
		if got := readFile(t, filepath.Join(build, "stdout")); got != "" {
			t.Errorf("environment = %q; want none", got)
		}
	})
}

func TestWorkingDirectoryAndProgramLookup(t *testing.T) {
	r, build := newRunner(t, "processgroup")
	sub := filepath.Join(build, "root", "pkg")
	if err := os.MkdirAll(filepath.Join(sub, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Each script names itself; "tool" is not executable, so execvp, and
	// the runner, skip it for the next PATH entry.
	scripts := map[string]os.FileMode{"tool.sh": 0o755, "bin/tool": 0o755, "tool": 0o644}
	for name, mode := range scripts {
		script := "#!/bin/sh\necho \"" + name + " $(pwd)\"\n"
		if err := os.WriteFile(filepath.Join(sub, name), []byte(script), mode); err != nil {
			t.Fatal(err)
		}
	}
	// A shell under another name shows argv[0] is passed as given.
	if err := os.Symlink("/bin/sh", filepath.Join(sub, "bin", "mysh")); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		argv []string
		path string
		want string
	}{
		{[]string{"./tool.sh"}, "", "tool.sh " + sub},
		{[]string{"bin/tool"}, "", "bin/tool " + sub},
		{[]string{"tool"}, ":bin:/bin", "bin/tool " + sub},
		{[]string{"tool"}, "/nonexistent:" + filepath.Join(sub, "bin"), "bin/tool " + sub},
		{[]string{"mysh", "-c", "echo $0 $(pwd)"}, "bin", "mysh " + sub},
	}
	for _, c := range cases {
		req := shell("")
		req.Arguments = c.argv
		req.WorkingDirectory = "pkg"
		req.EnvironmentVariables = map[string]string{"PATH": c.path}
		resp := run(t, r, req)
		got := readFile(t, filepath.Join(build, "stdout"))
		if resp.ExitCode != 0 || got != c.want+"\n" {
			t.Errorf("%q with PATH %q: exit %d, output %q; want %q", c.argv, c.path, resp.ExitCode, got, c.want)
		}
	}
}

func TestStdoutStderrAndExitCodes(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode string) {
		r, build := newRunner(t, mode)
		resp := run(t, r, shell("echo out; echo err >&2; exit 3"))
		if resp.ExitCode != 3 || resp.TimedOut {
			t.Errorf("exit code %d, timed out %v; want 3, false", resp.ExitCode, resp.TimedOut)
		}
		if got := readFile(t, filepath.Join(build, "stdout")); got != "out\n" {
			t.Errorf("stdout = %q", got)
		}
		if got := readFile(t, filepath.Join(build, "stderr")); got != "err\n" {
			t.Errorf("stderr = %q", got)
		}
		// A signal reads as 128 + its number.
		if resp := run(t, r, shell("kill -TERM $$")); resp.ExitCode != 128+15 {
			t.Errorf("exit code after SIGTERM = %d; want 143", resp.ExitCode)
		}
	})
}

func TestBadRequests(t *testing.T) {
	r, _ := newRunner(t, "processgroup")
	cases := map[string]func(*runnerpb.RunRequest){
		"escaping stdout":      func(req *runnerpb.RunRequest) { req.StdoutPath = "../out" },
		"absolute input root":  func(req *runnerpb.RunRequest) { req.InputRootDirectory = "/" },
		"escaping working dir": func(req *runnerpb.RunRequest) { req.WorkingDirectory = "../.." },
		"program not found":    func(req *runnerpb.RunRequest) { req.Arguments = []string{"no-such-program"} },
		"empty PATH entry":     func(req *runnerpb.RunRequest) { req.EnvironmentVariables = map[string]string{"PATH": ""} },
		"not executable":       func(req *runnerpb.RunRequest) { req.Arguments = []string{"/etc/hostname"} },
	}
	for name, mutate := range cases {
		req := shell("true")
		mutate(req)
		if _, err := r.Run(context.Background(), req); status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: error %v; want InvalidArgument", name, err)
		}
	}
	req := shell("true")
	req.StdoutPath = "missing-dir/stdout"
	if _, err := r.Run(context.Background(), req); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("missing output directory: error %v; want FailedPrecondition", err)
	}
}

func TestCheckReadiness(t *testing.T) {
	r, _ := newRunner(t, "processgroup")
	if err := r.CheckReadiness(context.Background(), &runnerpb.CheckReadinessRequest{Path: "root"}); err != nil {
		t.Errorf("existing path: %v", err)
	}
	if err := r.CheckReadiness(context.Background(), &runnerpb.CheckReadinessRequest{Path: "nope"}); status.Code(err) != codes.Unavailable {
		t.Errorf("missing path: %v; want Unavailable", err)
	}
	if err := r.CheckReadiness(context.Background(), &runnerpb.CheckReadinessRequest{Path: "../.."}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("escaping path: %v; want InvalidArgument", err)
	}
}

func TestUsage(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode string) {
		r, _ := newRunner(t, mode)
		resp := run(t, r, shell("i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done"))
		u := resp.GetUsage()
		cpu := u.GetUserTime().AsDuration() + u.GetSystemTime().AsDuration()
		if cpu <= 0 || u.GetWallTime().AsDuration() < cpu/2 || u.GetPeakMemoryBytes() < 100*1024 {
			t.Errorf("implausible usage %v", u)
		}
		if len(resp.ResourceUsage) != 1 {
			t.Fatalf("resource_usage has %d entries; want 1", len(resp.ResourceUsage))
		}
		var packed runnerpb.ResourceUsage
		if err := resp.ResourceUsage[0].UnmarshalTo(&packed); err != nil || packed.GetPeakMemoryBytes() != u.GetPeakMemoryBytes() {
			t.Errorf("packed usage %v, %v; want %v", &packed, err, u)
		}
	})
}

// alive reports whether pid is a process that has not exited (a zombie
// has exited; only its parent's bookkeeping is left).
func alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z" && fields[0] != "X"
}

// pidsIn reads the PIDs a test command wrote, one a line.
func pidsIn(t *testing.T, path string) []int {
	t.Helper()
	var pids []int
	for _, f := range strings.Fields(readFile(t, path)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			t.Fatal(err)
		}
		pids = append(pids, pid)
	}
	return pids
}

func checkAllDead(t *testing.T, pids []int, want int) {
	t.Helper()
	if len(pids) != want {
		t.Fatalf("command recorded %d PIDs; want %d", len(pids), want)
	}
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("process %d of the action is still running", pid)
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// treeScript starts two background sleeps and waits for them, recording
// every PID in root/pids.
const treeScript = "echo $$ > pids; sleep 100 & echo $! >> pids; sleep 100 & echo $! >> pids; wait"

func TestTimeoutKillsProcessTree(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode string) {
		r, build := newRunner(t, mode)
		req := shell(treeScript)
		req.Timeout = durationpb.New(300 * time.Millisecond)
		start := time.Now()
		resp := run(t, r, req)
		if elapsed := time.Since(start); elapsed > 3*time.Second {
			t.Errorf("Run took %v after a 300ms timeout", elapsed)
		}
		if !resp.TimedOut || resp.ExitCode != 128+9 {
			t.Errorf("timed out %v, exit code %d; want true, 137", resp.TimedOut, resp.ExitCode)
		}
		checkAllDead(t, pidsIn(t, filepath.Join(build, "root", "pids")), 3)
	})
}

func TestCancelKillsProcessTree(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode string) {
		r, build := newRunner(t, mode)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(300*time.Millisecond, cancel)
		resp, err := r.Run(ctx, shell(treeScript))
		if err != nil {
			t.Fatal(err)
		}
		if !resp.TimedOut {
			t.Error("cancelled run not reported as timed out")
		}
		checkAllDead(t, pidsIn(t, filepath.Join(build, "root", "pids")), 3)
	})
}

// daemonScript leaves a daemon behind the way real daemons detach: a new
// session (leaving the process group) and a double fork (reparenting the
// daemon away from the action), then waits until it has written its PID.
const daemonScript = `(setsid sh -c 'sleep 100 & echo $! > daemon' &)
while [ ! -s daemon ]; do sleep 0.01; done
`

func TestDaemonIsKilledWhenCommandExits(t *testing.T) {
	r, build := newRunner(t, "cgroup")
	resp := run(t, r, shell(daemonScript+"exit 0"))
	if resp.ExitCode != 0 || resp.TimedOut {
		t.Errorf("exit code %d, timed out %v; want 0, false", resp.ExitCode, resp.TimedOut)
	}
	checkAllDead(t, pidsIn(t, filepath.Join(build, "root", "daemon")), 1)
}

func TestDaemonIsKilledOnTimeout(t *testing.T) {
	r, build := newRunner(t, "cgroup")
	req := shell(daemonScript + "sleep 100")
	req.Timeout = durationpb.New(500 * time.Millisecond)
	start := time.Now()
	resp := run(t, r, req)
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("Run took %v after a 500ms timeout", elapsed)
	}
	if !resp.TimedOut {
		t.Error("not reported as timed out")
	}
	checkAllDead(t, pidsIn(t, filepath.Join(build, "root", "daemon")), 1)
}

func TestProcessGroupIsKilledWhenCommandExits(t *testing.T) {
	r, build := newRunner(t, "processgroup")
	run(t, r, shell("sleep 100 & echo $! > pids"))
	checkAllDead(t, pidsIn(t, filepath.Join(build, "root", "pids")), 1)
}

func TestConcurrentRuns(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode string) {
		r, build := newRunner(t, mode)
		errs := make(chan error, 8)
		for i := range 8 {
			go func() {
				req := shell(fmt.Sprintf("echo %d; exit %d", i, i))
				req.StdoutPath = fmt.Sprintf("out%d", i)
				req.StderrPath = ""
				resp, err := r.Run(context.Background(), req)
				if err == nil && resp.ExitCode != int64(i) {
					err = fmt.Errorf("run %d exited %d", i, resp.ExitCode)
				}
				errs <- err
			}()
		}
		for range 8 {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		for i := range 8 {
			if got := readFile(t, filepath.Join(build, fmt.Sprintf("out%d", i))); got != fmt.Sprintf("%d\n", i) {
				t.Errorf("out%d = %q", i, got)
			}
		}
	})
}

// A runner that was killed mid-action leaves an action cgroup with live
// processes; the next runner on the same cgroup kills them.
func TestNewKillsLeftoverActions(t *testing.T) {
	parent := testCgroupParent(t)
	stale := filepath.Join(parent, "action-7")
	other := filepath.Join(parent, "someone-else")
	for _, d := range []string{stale, other} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { os.Remove(other) })
	dir, err := os.Open(stale)
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	leftover := exec.Command("sleep", "100")
	leftover.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: int(dir.Fd())}
	if err := leftover.Start(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- leftover.Wait() }()

	if _, err := process.New(process.Options{BuildDirectory: t.TempDir(), CgroupParent: parent}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-waited:
	case <-time.After(5 * time.Second):
		leftover.Process.Kill()
		t.Fatal("leftover process still running after New")
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale cgroup %s not removed: %v", stale, err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("cgroup %s not made by a runner was removed: %v", other, err)
	}
}

// TestOnlyStandardFDsReachTheAction leaves a descriptor open without
// close-on-exec in the runner's process, as make's jobserver or a shell
// does for the programs it starts; the action must not get it, nor
// anything but stdin, stdout and stderr.
func TestOnlyStandardFDsReachTheAction(t *testing.T) {
	leaked, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer leaked.Close()
	if _, err := unix.FcntlInt(leaked.Fd(), unix.F_SETFD, 0); err != nil {
		t.Fatal(err)
	}
	forEachMode(t, func(t *testing.T, mode string) {
		r, build := newRunner(t, mode)
		// Another process lists the shell's descriptors (see the
		// container runner's test of the same).
		run(t, r, shell("sh -c 'ls /proc/$PPID/fd'; true"))
		if fds := strings.Fields(readFile(t, filepath.Join(build, "stdout"))); strings.Join(fds, " ") != "0 1 2" {
			t.Errorf("the action holds descriptors %v, want only 0 1 2", fds)
		}
	})
}
