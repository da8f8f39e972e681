package clients

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// farmStartTimeout bounds how long `sandbarn farm` may take to serve REAPI.
const farmStartTimeout = 60 * time.Second

// farm is a `sandbarn farm` the test started on a free loopback port. It
// runs in its own process group so that stopping it also stops the
// worker and runner below it.
type farm struct {
	t      *testing.T
	addr   string
	cmd    *exec.Cmd
	output *lockedBuffer
	exited chan struct{}
	err    error
}

// The sandbarn binary is built once for the whole package.
var sandbarnBuild struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

// sandbarnBinary builds cmd/sandbarn with this test's build tags.
func sandbarnBinary(t *testing.T) string {
	t.Helper()
	b := &sandbarnBuild
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "sandbarn-clients-bin-")
		if err != nil {
			b.err = err
			return
		}
		root, err := filepath.Abs(filepath.Join("..", ".."))
		if err != nil {
			b.err = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		b.path = filepath.Join(dir, "sandbarn")
		cmd := exec.CommandContext(ctx, goTool(), "build", "-tags", buildTags, "-o", b.path, "./cmd/sandbarn")
		cmd.Dir = root
		b.out, b.err = cmd.CombinedOutput()
	})
	if b.err != nil {
		skipOrFail(t, "cmd/sandbarn does not build: %v\n%s", b.err, b.out)
	}
	return b.path
}

// goTool finds the go command that is running these tests.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// startFarm runs `sandbarn farm` with its data below base and stops it
// when the test ends, printing its output if the test failed.
func startFarm(t *testing.T, base string) *farm {
	t.Helper()
	bin := sandbarnBinary(t)
	f := &farm{t: t, addr: freeLoopbackAddr(t), output: &lockedBuffer{}, exited: make(chan struct{})}
	// Two slots, so a long action being cancelled does not hold up the
	// next one; no admin listener, whose fixed default port other test
	// packages' farms would also want.
	f.cmd = exec.Command(bin, "farm", "--data-dir", filepath.Join(base, "farm"), "--listen", f.addr,
		"--admin-listen", "", "--concurrency", "2")
	f.cmd.Stdout = f.output
	f.cmd.Stderr = f.output
	f.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := f.cmd.Start(); err != nil {
		t.Fatalf("starting sandbarn farm: %v", err)
	}
	go func() {
		f.err = f.cmd.Wait()
		close(f.exited)
	}()
	t.Cleanup(func() {
		f.stop()
		if t.Failed() {
			t.Logf("sandbarn farm output:\n%s", tail(f.output.String()))
		}
	})
	f.waitReady()
	return f
}

// stop interrupts the farm, so that it removes its sandboxes (processes
// in their cgroups are not in its process group), and kills the group if
// it has not exited in time.
func (f *farm) stop() {
	_ = f.cmd.Process.Signal(os.Interrupt)
	select {
	case <-f.exited:
	case <-time.After(15 * time.Second):
		f.t.Logf("sandbarn farm did not exit within 15s of SIGINT; killing it")
	}
	_ = syscall.Kill(-f.cmd.Process.Pid, syscall.SIGKILL)
	<-f.exited
}

// url is the farm's address as the buildbox tools and BuildStream want it.
func (f *farm) url() string {
	return "http://" + f.addr
}

// waitReady polls GetCapabilities: a listening socket alone does not mean
// the services are registered.
func (f *farm) waitReady() {
	f.t.Helper()
	conn, err := grpc.NewClient(f.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		f.t.Fatal(err)
	}
	defer conn.Close()
	client := remoteexecution.NewCapabilitiesClient(conn)
	deadline := time.Now().Add(farmStartTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := client.GetCapabilities(ctx, &remoteexecution.GetCapabilitiesRequest{})
		cancel()
		if err == nil {
			return
		}
		select {
		case <-f.exited:
			f.t.Fatalf("sandbarn farm exited before serving (%v); output:\n%s", f.err, tail(f.output.String()))
		default:
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("sandbarn farm does not answer GetCapabilities on %s after %v: %v; output:\n%s",
				f.addr, farmStartTimeout, err, tail(f.output.String()))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// freeLoopbackAddr asks the kernel for a loopback port nobody listens on.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
}
