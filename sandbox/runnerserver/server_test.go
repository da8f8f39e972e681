package runnerserver_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/sandbarn/sandbarn/errkind"
	runnerpb "github.com/sandbarn/sandbarn/proto/runner"
	"github.com/sandbarn/sandbarn/sandbox"
	"github.com/sandbarn/sandbarn/sandbox/process"
	"github.com/sandbarn/sandbarn/sandbox/runnerserver"
)

// startServer serves a process runner on a UNIX socket and returns a
// client, the build directory and a function stopping the server that
// returns Serve's error.
func startServer(t testing.TB, grace time.Duration) (runnerpb.RunnerClient, string, func() error) {
	t.Helper()
	dir := t.TempDir()
	build := filepath.Join(dir, "build")
	if err := os.MkdirAll(filepath.Join(build, "root"), 0o755); err != nil {
		t.Fatal(err)
	}
	runner, err := process.New(process.Options{BuildDirectory: build})
	if err != nil {
		t.Fatal(err)
	}
	client, stop := serve(t, runner, grace)
	return client, build, stop
}

// serve serves runner on a UNIX socket and returns a client and a function
// stopping the server that returns Serve's error.
func serve(t testing.TB, runner sandbox.Runner, grace time.Duration) (runnerpb.RunnerClient, func() error) {
	t.Helper()
	socket := filepath.Join(t.TempDir(), "runner.sock")
	lis, err := runnerserver.ListenUNIX(socket, 0o660)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- runnerserver.Serve(ctx, lis, runner, grace) }()
	stop := sync.OnceValue(func() error {
		cancel()
		return <-served
	})
	t.Cleanup(func() { stop() })
	conn, err := grpc.NewClient("unix://"+socket, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return runnerpb.NewRunnerClient(conn), stop
}

func TestRunOverUNIXSocket(t *testing.T) {
	client, build, _ := startServer(t, time.Second)
	ctx := context.Background()
	if _, err := client.CheckReadiness(ctx, &runnerpb.CheckReadinessRequest{Path: "root"}); err != nil {
		t.Fatalf("CheckReadiness: %v", err)
	}
	resp, err := client.Run(ctx, &runnerpb.RunRequest{
		Arguments:            []string{"sh", "-c", "echo hello; exit 7"},
		EnvironmentVariables: map[string]string{"PATH": "/bin:/usr/bin"},
		InputRootDirectory:   "root",
		StdoutPath:           "stdout",
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if resp.ExitCode != 7 || resp.GetUsage().GetWallTime() == nil || len(resp.ResourceUsage) != 1 {
		t.Errorf("response %v; want exit code 7 with usage", resp)
	}
	if out, err := os.ReadFile(filepath.Join(build, "stdout")); err != nil || string(out) != "hello\n" {
		t.Errorf("stdout %q, %v", out, err)
	}
}

func TestBadPathsAreInvalidArgument(t *testing.T) {
	client, _, _ := startServer(t, time.Second)
	ctx := context.Background()
	for _, req := range []*runnerpb.RunRequest{
		{Arguments: []string{"true"}, InputRootDirectory: "/etc"},
		{Arguments: []string{"true"}, InputRootDirectory: "root", WorkingDirectory: "../.."},
		{Arguments: []string{"true"}, InputRootDirectory: "root", StderrPath: "../../x"},
		{InputRootDirectory: "root"},
	} {
		if _, err := client.Run(ctx, req); status.Code(err) != codes.InvalidArgument {
			t.Errorf("Run(%v): %v; want InvalidArgument", req, err)
		}
	}
	if _, err := client.CheckReadiness(ctx, &runnerpb.CheckReadinessRequest{Path: "/"}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("CheckReadiness(/): %v; want InvalidArgument", err)
	}
	if _, err := client.CheckReadiness(ctx, &runnerpb.CheckReadinessRequest{Path: "missing"}); status.Code(err) != codes.Unavailable {
		t.Errorf("CheckReadiness(missing): %v; want Unavailable", err)
	}
}

// Stopping the server cancels a running action once the grace period is
// over, and Serve returns only after the action's processes are gone.
func TestStopCancelsRunningActions(t *testing.T) {
	client, build, stop := startServer(t, 200*time.Millisecond)
	result := make(chan error, 1)
	go func() {
		_, err := client.Run(context.Background(), &runnerpb.RunRequest{
			Arguments:            []string{"sh", "-c", "echo started > started; sleep 100"},
			EnvironmentVariables: map[string]string{"PATH": "/bin:/usr/bin"},
			InputRootDirectory:   "root",
		})
		result <- err
	}()
	for start := time.Now(); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(filepath.Join(build, "root", "started")); err == nil {
			break
		}
		if time.Since(start) > 5*time.Second {
			t.Fatal("action did not start")
		}
	}
	start := time.Now()
	if err := stop(); err != nil {
		t.Errorf("Serve: %v", err)
	}
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("stop took %v with a 200ms grace period", elapsed)
	}
	select {
	case <-result:
	case <-time.After(5 * time.Second):
		t.Error("client call did not end after the server stopped")
	}
}

func TestListenUNIX(t *testing.T) {
	dir := t.TempDir()
	socket := filepath.Join(dir, "s.sock")

	// A socket nobody listens on any more is replaced.
	stale, err := net.Listen("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	stale.(*net.UnixListener).SetUnlinkOnClose(false)
	stale.Close()
	lis, err := runnerserver.ListenUNIX(socket, 0o660)
	if err != nil {
		t.Fatalf("replacing a stale socket: %v", err)
	}
	defer lis.Close()
	if info, err := os.Stat(socket); err != nil || info.Mode().Perm() != 0o660 {
		t.Errorf("socket mode %v, %v; want 0660", info.Mode(), err)
	}

	// A live socket and a regular file are left alone.
	if _, err := runnerserver.ListenUNIX(socket, 0o660); err == nil {
		t.Error("took over a socket that is in use")
	}
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := runnerserver.ListenUNIX(file, 0o660); err == nil {
		t.Error("replaced a regular file")
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != "keep" {
		t.Errorf("regular file changed: %q, %v", b, err)
	}
}

// A runner returning a plain error must still produce a status code the
// worker can act on.
func TestPlainRunnerErrorsBecomeInternal(t *testing.T) {
	srv := runnerserver.New(failingRunner{})
	_, err := srv.Run(context.Background(), &runnerpb.RunRequest{Arguments: []string{"x"}, InputRootDirectory: "root"})
	if status.Code(err) != codes.Internal {
		t.Errorf("Run: %v; want Internal", err)
	}
	_, err = srv.CheckReadiness(context.Background(), &runnerpb.CheckReadinessRequest{})
	if status.Code(err) != codes.Internal {
		t.Errorf("CheckReadiness: %v; want Internal", err)
	}
}

// Serve maps a runner's error at the edge: the client sees its kind's code
// and its whole message, context included.
func TestServeMapsKindsForTheClient(t *testing.T) {
	client, _ := serve(t, failingRunner{}, time.Second)
	_, err := client.Run(context.Background(), &runnerpb.RunRequest{Arguments: []string{"x"}, InputRootDirectory: "root"})
	if s := status.Convert(err); s.Code() != codes.Internal || s.Message() != "runner: broken" {
		t.Errorf("Run: %v; want Internal \"runner: broken\"", err)
	}
	_, err = client.CheckReadiness(context.Background(), &runnerpb.CheckReadinessRequest{Path: "exhausted"})
	if s := status.Convert(err); s.Code() != codes.ResourceExhausted || s.Message() != "checking: no slots" {
		t.Errorf("CheckReadiness: %v; want ResourceExhausted \"checking: no slots\"", err)
	}
}

type failingRunner struct{}

func (failingRunner) CheckReadiness(_ context.Context, req *runnerpb.CheckReadinessRequest) error {
	if req.GetPath() == "exhausted" {
		return fmt.Errorf("checking: %w", errkind.New(errkind.Exhausted, "no slots"))
	}
	return errors.New("broken")
}

func (failingRunner) Run(context.Context, *runnerpb.RunRequest) (*runnerpb.RunResponse, error) {
	return nil, errors.New("broken")
}
