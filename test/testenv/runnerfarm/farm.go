package runnerfarm

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/durationpb"

	runnerpb "github.com/sandbarn/sandbarn/proto/runner"
	"github.com/sandbarn/sandbarn/test/testenv"
)

const (
	// SlotRoot is the input root of the farm's one slot, relative to
	// the build directory.
	SlotRoot = "slot0/root"
	// InputText is the content of input.txt, the cached file
	// hardlinked into the input root.
	InputText = "cached input, never changed\n"
	// Nobody is the unprivileged user a rootless runner runs as.
	Nobody = 65534
)

// Options shape one farm.
type Options struct {
	// Rootless starts bb_runner as Nobody, with one uid mapped.
	Rootless bool
	// SocketMode is the runner socket's mode; "0600" when empty.
	SocketMode string
	// Container is extra Jsonnet fields for the runner's container
	// section, e.g. "defaultLimits: { pids: '64' },". Fields named here
	// replace the farm's own.
	Container string
}

// Farm is one bb_runner process and the host side of its world.
type Farm struct {
	// Dir holds everything; Build is the runner's build directory,
	// Cache the stand-in for the worker's file cache, Socket the
	// runner's socket.
	Dir, Build, Cache, Socket string
	Rootless                  bool
	Runner                    *exec.Cmd
	Client                    runnerpb.RunnerClient
}

// Start builds bb_runner, writes its configuration and starts it.
func Start(t *testing.T, opts Options) *Farm {
	t.Helper()
	if os.Geteuid() != 0 {
		testenv.SkipOrFail(t, "this suite runs bb_runner with the container sandbox, which needs root (CI runs as root)")
	}
	f := &Farm{Dir: t.TempDir(), Rootless: opts.Rootless}
	// Sandbox users must be able to reach the rootfs skeleton and input
	// root below it; t.TempDir's parent is private.
	Must(t, os.Chmod(filepath.Dir(f.Dir), 0o755))
	Must(t, os.Chmod(f.Dir, 0o755))
	home := filepath.Join(f.Dir, "home")
	f.Build, f.Cache = filepath.Join(home, "build"), filepath.Join(f.Dir, "cache")
	f.Socket = filepath.Join(home, "runner.sock")
	f.makeSlot(t)
	bin := BuildRunner(t, f.Dir)
	cgroupParent := "/sandbarn-runnerfarm-" + strconv.Itoa(os.Getpid()) + "-" + filepath.Base(f.Dir)
	config := filepath.Join(home, "bb_runner.jsonnet")
	Must(t, os.WriteFile(config, []byte(f.config(opts, cgroupParent)), 0o644))
	f.Runner = exec.Command(bin, config)
	if opts.Rootless {
		f.Runner = f.rootlessCommand(t, home, bin, config)
	}
	f.Runner.Stdout, f.Runner.Stderr = os.Stderr, os.Stderr
	Must(t, f.Runner.Start())
	t.Cleanup(func() { f.stop(cgroupParent) })
	conn, err := grpc.NewClient("unix://"+f.Socket, grpc.WithTransportCredentials(insecure.NewCredentials()))
	Must(t, err)
	t.Cleanup(func() { conn.Close() })
	f.Client = runnerpb.NewRunnerClient(conn)
	f.waitReady(t)
	return f
}

// makeSlot creates the slot's input root, world-writable as a worker
// would leave it, and the cache with input.txt hardlinked into the root.
func (f *Farm) makeSlot(t *testing.T) {
	root := filepath.Join(f.Build, SlotRoot)
	Must(t, os.MkdirAll(root, 0o777))
	Must(t, os.Chmod(root, 0o777))
	Must(t, os.MkdirAll(f.Cache, 0o700))
	Must(t, os.WriteFile(filepath.Join(f.Cache, "input.txt"), []byte(InputText), 0o444))
	Must(t, os.Link(filepath.Join(f.Cache, "input.txt"), filepath.Join(root, "input.txt")))
}

func (f *Farm) config(opts Options, cgroupParent string) string {
	mode := opts.SocketMode
	if mode == "" {
		mode = "0600"
	}
	return fmt.Sprintf(`{
  buildDirectory: %q,
  grpcListenPath: %q,
  grpcListenPathMode: %q,
  sandbox: 'container',
  shutdownGracePeriod: '5s',
  container: {
    stateDirectory: %q,
    cgroupParent: %q,
    tmpSizeBytes: 16777216,
    defaultLimits: { cpu: '1', memory: '256MiB', pids: '128' },
    maximumLimits: { cpu: '2', memory: '1GiB', pids: '1024' },
    prepareInputRoots: [%q],
  } + { %s },
}
`, f.Build, f.Socket, mode, filepath.Join(filepath.Dir(f.Build), "state"), cgroupParent, SlotRoot, opts.Container)
}

// rootlessCommand runs bb_runner as Nobody. Everything but the cache and
// its hardlinked input belongs to the runner's user.
func (f *Farm) rootlessCommand(t *testing.T, home, bin, config string) *exec.Cmd {
	id := strconv.Itoa(Nobody)
	Must(t, exec.Command("chown", "-R", id+":"+id, home).Run())
	Must(t, os.Chown(filepath.Join(f.Build, SlotRoot, "input.txt"), 0, 0))
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		testenv.SkipOrFail(t, "setpriv (util-linux) is not installed")
	}
	cmd := exec.Command(setpriv, "--reuid", id, "--regid", id, "--clear-groups", "--inh-caps=-all", bin, config)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + home, "XDG_RUNTIME_DIR=" + home}
	return cmd
}

// stop ends the runner and removes the empty cgroup directories its
// actions left.
func (f *Farm) stop(cgroupParent string) {
	f.Runner.Process.Signal(os.Interrupt)
	f.Runner.Wait()
	dirs, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup", "*", cgroupParent, "*"))
	for _, d := range dirs {
		os.Remove(d)
	}
	parents, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup", "*", cgroupParent))
	for _, d := range parents {
		os.Remove(d)
	}
}

func (f *Farm) waitReady(t *testing.T) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(f.Socket); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_, err = f.Client.CheckReadiness(ctx, &runnerpb.CheckReadinessRequest{Path: SlotRoot})
			cancel()
			if err == nil {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("bb_runner did not become ready")
}

// BuildRunner compiles cmd/bb_runner of this module. The attacks include
// system calls only the seccomp filter stops, so the tests must be built
// with the seccomp tag too.
func BuildRunner(t *testing.T, dir string) string {
	t.Helper()
	if testenv.BuildTags != "seccomp" {
		testenv.SkipOrFail(t, "these tests need the seccomp filter: run them with -tags seccomp (make test does when libseccomp-dev is installed)")
	}
	bin, err := testenv.BuildProgram("bb_runner", dir)
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// Outcome is what an action left: its result and its output.
type Outcome struct {
	Resp           *runnerpb.RunResponse
	Stdout, Stderr string
}

// Request is the RunRequest of a bash script in the farm's slot.
func Request(script string, props map[string]string, timeout time.Duration) *runnerpb.RunRequest {
	platform := &remoteexecution.Platform{}
	for k, v := range props {
		platform.Properties = append(platform.Properties, &remoteexecution.Platform_Property{Name: k, Value: v})
	}
	return &runnerpb.RunRequest{
		Arguments:            []string{"/bin/bash", "-c", script},
		EnvironmentVariables: map[string]string{"PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"},
		StdoutPath:           "slot0/stdout",
		StderrPath:           "slot0/stderr",
		InputRootDirectory:   SlotRoot,
		Platform:             platform,
		Timeout:              durationpb.New(timeout),
	}
}

// Run sends one bash script as an action through the runner.
func (f *Farm) Run(t *testing.T, script string, props map[string]string, timeout time.Duration) Outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout+30*time.Second)
	defer cancel()
	resp, err := f.Client.Run(ctx, Request(script, props, timeout))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	stdout, _ := os.ReadFile(filepath.Join(f.Build, "slot0/stdout"))
	stderr, _ := os.ReadFile(filepath.Join(f.Build, "slot0/stderr"))
	return Outcome{resp, string(stdout), string(stderr)}
}

// Attempt runs a script that must run to its end (a positive control,
// so that a sandbox that fails to start cannot pass for a blocked
// attempt) and returns its output without the control line.
func (f *Farm) Attempt(t *testing.T, script string, props map[string]string) Outcome {
	t.Helper()
	const done = "attempt-finished"
	o := f.Run(t, script+"\necho "+done, props, time.Minute)
	rest, ok := strings.CutSuffix(o.Stdout, done+"\n")
	if !ok {
		t.Fatalf("the attempt did not run to its end: stdout %q stderr %q", o.Stdout, o.Stderr)
	}
	o.Stdout = rest
	return o
}

// Must fails the test on err.
func Must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
