package main

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

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	runnerpb "github.com/sandbarn/sandbarn/proto/runner"
)

// TestMain lets the test binary act as bb_runner, so the test below can
// run the real program in a separate process and signal it.
func TestMain(m *testing.M) {
	if os.Getenv("BB_RUNNER_TEST_AS_MAIN") == "1" {
		os.Args = append([]string{"bb_runner"}, os.Args[len(os.Args)-1])
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestSIGTERMStopsRunningActions(t *testing.T) {
	dir := t.TempDir()
	build := filepath.Join(dir, "build")
	if err := os.MkdirAll(filepath.Join(build, "root"), 0o755); err != nil {
		t.Fatal(err)
	}
	socket := filepath.Join(dir, "runner.sock")
	cfgPath := filepath.Join(dir, "runner.jsonnet")
	cfg := fmt.Sprintf("{ buildDirectory: %q, grpcListenPath: %q, shutdownGracePeriod: '100ms', cgroupParent: 'none' }", build, socket)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := exec.Command(os.Args[0], "-test.run=^$", cfgPath)
	bin.Env = append(os.Environ(), "BB_RUNNER_TEST_AS_MAIN=1")
	bin.Stderr = os.Stderr
	if err := bin.Start(); err != nil {
		t.Fatal(err)
	}
	defer bin.Process.Kill()
	waitFor(t, socket)

	conn, err := grpc.NewClient("unix://"+socket, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := runnerpb.NewRunnerClient(conn)
	// Process groups only: the default cgroup is shared with any real
	// bb_runner on this machine, whose actions a test must not kill.
	ran := make(chan error, 1)
	go func() {
		_, err := client.Run(context.Background(), &runnerpb.RunRequest{
			Arguments:            []string{"sh", "-c", "sleep 100 & echo $! > pids; echo $$ >> pids; wait"},
			EnvironmentVariables: map[string]string{"PATH": "/bin:/usr/bin"},
			InputRootDirectory:   "root",
		}, grpc.WaitForReady(true)) // the socket file exists just before listen()
		ran <- err
	}()
	pidFile := filepath.Join(build, "root", "pids")
	for start := time.Now(); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(pidFile); err == nil {
			break
		}
		select {
		case err := <-ran:
			t.Fatalf("Run ended early: %v", err)
		default:
		}
		if time.Since(start) > 10*time.Second {
			t.Fatal("action did not start")
		}
	}
	time.Sleep(50 * time.Millisecond) // both PIDs written

	if err := bin.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- bin.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("bb_runner exited with %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("bb_runner still running 5s after SIGTERM")
	}
	pids, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range strings.Fields(string(pids)) {
		pid, _ := strconv.Atoi(f)
		if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil && !strings.Contains(string(stat), ") Z ") {
			t.Errorf("action process %d survived bb_runner", pid)
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	if _, err := os.Stat(socket); !os.IsNotExist(err) {
		t.Errorf("socket left behind: %v", err)
	}
}

func waitFor(t *testing.T, path string) {
	t.Helper()
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return
		}
	}
	t.Fatalf("%s did not appear", path)
}
