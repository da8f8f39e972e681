package clients

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sandbarn/sandbarn/test/testenv"
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
	output *testenv.LockedBuffer
	exited chan struct{}
	err    error
}

// The sandbarn binary is built once for the whole package.
var sandbarnBuild struct {
	once sync.Once
	path string
	err  error
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
		if b.path, b.err = testenv.BuildProgram("sandbarn", dir); b.err != nil {
			os.RemoveAll(dir)
		}
	})
	if b.err != nil {
		testenv.SkipOrFail(t, "%v", b.err)
	}
	return b.path
}

// startFarm runs `sandbarn farm` with its data below base and stops it
// when the test ends, printing its output if the test failed.
func startFarm(t *testing.T, base string) *farm {
	t.Helper()
	bin := sandbarnBinary(t)
	f := &farm{t: t, addr: freeLoopbackAddr(t), output: &testenv.LockedBuffer{}, exited: make(chan struct{})}
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
			t.Logf("sandbarn farm output:\n%s", testenv.Tail(f.output.String()))
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

// waitReady waits until the farm answers REAPI, failing the test with
// its output if it exits or does not answer in time.
func (f *farm) waitReady() {
	f.t.Helper()
	if err := testenv.WaitForREAPI(f.addr, farmStartTimeout, f.exited); err != nil {
		f.t.Fatalf("sandbarn farm: %v (%v); output:\n%s", err, f.err, testenv.Tail(f.output.String()))
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
