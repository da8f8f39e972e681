package escape

import (
	"context"
	"fmt"
	"net"
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

// farm is one bb_runner process and the host side of its world: a build
// directory with one slot, and a fake worker file cache whose files are
// hardlinked into the slot's input root.
type farm struct {
	dir, build, cache string
	// rootSecret is a file in /root no action may read.
	rootSecret string
	// rootless: bb_runner runs as nobody, with one uid mapped.
	rootless bool
	runner   *exec.Cmd
	client   runnerpb.RunnerClient
}

const (
	slotRoot   = "slot0/root"
	secretText = "sandbarn-escape-secret-7f3a"
	inputText  = "cached input, never changed\n"
)

// nobody is the unprivileged user the rootless runner runs as.
const nobody = 65534

// startFarm builds bb_runner, writes its configuration and starts it, as
// root or (rootless) as nobody through setpriv.
func startFarm(t *testing.T, rootless bool) *farm {
	t.Helper()
	if os.Geteuid() != 0 {
		testenv.SkipOrFail(t, "the escape suite runs bb_runner with the container sandbox, which needs root (CI runs as root)")
	}
	f := &farm{dir: t.TempDir(), rootless: rootless}
	f.rootSecret = filepath.Join("/root", ".sandbarn-escape-"+strconv.Itoa(os.Getpid()))
	must(t, os.WriteFile(f.rootSecret, []byte(secretText), 0o600))
	t.Cleanup(func() { os.Remove(f.rootSecret) })
	// Sandbox users must be able to reach the rootfs skeleton and input
	// root below it; t.TempDir's parent is private.
	must(t, os.Chmod(filepath.Dir(f.dir), 0o755))
	must(t, os.Chmod(f.dir, 0o755))
	// home holds everything the runner writes; the cache is the worker's.
	home := filepath.Join(f.dir, "home")
	f.build, f.cache = filepath.Join(home, "build"), filepath.Join(f.dir, "cache")
	must(t, os.MkdirAll(filepath.Join(f.build, slotRoot), 0o777))
	must(t, os.Chmod(filepath.Join(f.build, slotRoot), 0o777))
	must(t, os.MkdirAll(f.cache, 0o700))
	must(t, os.WriteFile(filepath.Join(f.cache, "secret"), []byte(secretText), 0o600))
	must(t, os.WriteFile(filepath.Join(f.cache, "input.txt"), []byte(inputText), 0o444))
	must(t, os.Link(filepath.Join(f.cache, "input.txt"), filepath.Join(f.build, slotRoot, "input.txt")))

	bin := buildRunner(t, f.dir)
	cgroupParent := "/sandbarn-escape-" + strconv.Itoa(os.Getpid())
	config := filepath.Join(home, "bb_runner.jsonnet")
	socket := filepath.Join(home, "runner.sock")
	must(t, os.WriteFile(config, []byte(fmt.Sprintf(`{
  buildDirectory: %q,
  grpcListenPath: %q,
  grpcListenPathMode: '0600',
  sandbox: 'container',
  shutdownGracePeriod: '5s',
  container: {
    stateDirectory: %q,
    cgroupParent: %q,
    tmpSizeBytes: 16777216,
    defaultLimits: { cpu: '1', memory: '256MiB', pids: '128' },
    maximumLimits: { cpu: '2', memory: '1GiB', pids: '1024' },
    prepareInputRoots: [%q],
  },
}
`, f.build, socket, filepath.Join(home, "state"), cgroupParent, slotRoot)), 0o644))
	f.runner = exec.Command(bin, config)
	if rootless {
		// Everything but the cache and its hardlinked input belongs to
		// the runner's user.
		must(t, exec.Command("chown", "-R", strconv.Itoa(nobody)+":"+strconv.Itoa(nobody), home).Run())
		must(t, os.Chown(filepath.Join(f.build, slotRoot, "input.txt"), 0, 0))
		setpriv, err := exec.LookPath("setpriv")
		if err != nil {
			testenv.SkipOrFail(t, "setpriv (util-linux) is not installed")
		}
		id := strconv.Itoa(nobody)
		f.runner = exec.Command(setpriv, "--reuid", id, "--regid", id, "--clear-groups", "--inh-caps=-all", bin, config)
		f.runner.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + home, "XDG_RUNTIME_DIR=" + home}
	}
	f.runner.Stdout, f.runner.Stderr = os.Stderr, os.Stderr
	must(t, f.runner.Start())
	t.Cleanup(func() {
		f.runner.Process.Signal(os.Interrupt)
		f.runner.Wait()
		// Empty cgroup directories left by the runner's actions.
		dirs, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup", "*", cgroupParent, "*"))
		for _, d := range dirs {
			os.Remove(d)
		}
		parents, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup", "*", cgroupParent))
		for _, d := range parents {
			os.Remove(d)
		}
	})
	conn, err := grpc.NewClient("unix://"+socket, grpc.WithTransportCredentials(insecure.NewCredentials()))
	must(t, err)
	t.Cleanup(func() { conn.Close() })
	f.client = runnerpb.NewRunnerClient(conn)
	f.waitReady(t, socket)
	return f
}

func (f *farm) waitReady(t *testing.T, socket string) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(socket); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_, err = f.client.CheckReadiness(ctx, &runnerpb.CheckReadinessRequest{Path: slotRoot})
			cancel()
			if err == nil {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("bb_runner did not become ready")
}

// buildRunner compiles cmd/bb_runner of this module. The escape attempts
// include system calls only the seccomp filter stops, so the tests must be
// built with the seccomp tag too.
func buildRunner(t *testing.T, dir string) string {
	t.Helper()
	if testenv.BuildTags != "seccomp" {
		testenv.SkipOrFail(t, "the escape tests need the seccomp filter: run them with -tags seccomp (make test does when libseccomp-dev is installed)")
	}
	bin, err := testenv.BuildProgram("bb_runner", dir)
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// outcome is what an action left: its result and its output.
type outcome struct {
	resp           *runnerpb.RunResponse
	stdout, stderr string
}

// run sends one bash script as an action through the runner.
func (f *farm) run(t *testing.T, script string, props map[string]string, timeout time.Duration) outcome {
	t.Helper()
	platform := &remoteexecution.Platform{}
	for k, v := range props {
		platform.Properties = append(platform.Properties, &remoteexecution.Platform_Property{Name: k, Value: v})
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout+30*time.Second)
	defer cancel()
	resp, err := f.client.Run(ctx, &runnerpb.RunRequest{
		Arguments:            []string{"/bin/bash", "-c", script},
		EnvironmentVariables: map[string]string{"PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"},
		WorkingDirectory:     "",
		StdoutPath:           "slot0/stdout",
		StderrPath:           "slot0/stderr",
		InputRootDirectory:   slotRoot,
		Platform:             platform,
		Timeout:              durationpb.New(timeout),
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	stdout, _ := os.ReadFile(filepath.Join(f.build, "slot0/stdout"))
	stderr, _ := os.ReadFile(filepath.Join(f.build, "slot0/stderr"))
	return outcome{resp, string(stdout), string(stderr)}
}

// attempt runs a script that must run to its end (a positive control,
// so that a sandbox that fails to start cannot pass for a blocked
// attempt) and returns its output without the control line.
func (f *farm) attempt(t *testing.T, script string, props map[string]string) outcome {
	t.Helper()
	const done = "attempt-finished"
	o := f.run(t, script+"\necho "+done, props, time.Minute)
	rest, ok := strings.CutSuffix(o.stdout, done+"\n")
	if !ok {
		t.Fatalf("the attempt did not run to its end: stdout %q stderr %q", o.stdout, o.stderr)
	}
	o.stdout = rest
	return o
}

// listen accepts TCP connections on the host's loopback and counts them.
func listen(t *testing.T) (string, func() int) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	accepted := make(chan struct{}, 100)
	go func() {
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			c.Close()
			accepted <- struct{}{}
		}
	}()
	t.Cleanup(func() { lis.Close() })
	return lis.Addr().String(), func() int { return len(accepted) }
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
