package e2e

import (
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/sandbarn/sandbarn/test/testenv"
)

// serverStartTimeout bounds how long a program may take to serve REAPI.
const serverStartTimeout = 60 * time.Second

// server is a Sandbarn program the test started, serving REAPI on addr.
// It runs in its own process group so that stopping it also catches any
// children it leaves behind.
type server struct {
	t      *testing.T
	name   string
	addr   string
	cmd    *exec.Cmd
	output *testenv.LockedBuffer
	exited chan struct{}
	err    error
}

// freeLoopbackPort asks the kernel for a port nobody listens on.
func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startServer runs bin with args, waits until addr answers REAPI
// GetCapabilities, and stops the program when the test ends.
func startServer(t *testing.T, name, addr, bin string, args ...string) *server {
	t.Helper()
	s := &server{t: t, name: name, addr: addr, output: &testenv.LockedBuffer{}, exited: make(chan struct{})}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Stdout = s.output
	s.cmd.Stderr = s.output
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() {
		s.err = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		s.kill()
		if t.Failed() {
			t.Logf("%s output:\n%s", name, testenv.Tail(s.output.String()))
		}
	})
	s.waitReady()
	return s
}

// waitReady waits until the server answers REAPI, failing the test with
// its output if it exits or does not answer in time.
func (s *server) waitReady() {
	s.t.Helper()
	if err := testenv.WaitForREAPI(s.addr, serverStartTimeout, s.exited); err != nil {
		s.t.Fatalf("%s: %v (%v); output:\n%s", s.name, err, s.err, testenv.Tail(s.output.String()))
	}
}

// interrupt sends SIGINT, as Ctrl-C would, and reports whether the program
// exited within timeout.
func (s *server) interrupt(timeout time.Duration) (exited bool, err error) {
	if err := s.cmd.Process.Signal(os.Interrupt); err != nil {
		return false, err
	}
	select {
	case <-s.exited:
		return true, s.err
	case <-time.After(timeout):
		return false, nil
	}
}

// kill ends the program and everything left in its process group.
func (s *server) kill() {
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.exited
}

// groupMembers lists live processes still in the server's process group.
func (s *server) groupMembers() []int {
	var pids []int
	for pid := range listProcesses() {
		if pgid, err := syscall.Getpgid(pid); err == nil && pgid == s.cmd.Process.Pid {
			pids = append(pids, pid)
		}
	}
	return pids
}

// exitError reports why the server exited, if it has.
func (s *server) exitError() (bool, error) {
	select {
	case <-s.exited:
		return true, s.err
	default:
		return false, nil
	}
}

func loopbackAddr(port int) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}
