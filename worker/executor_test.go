package worker

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/sandbarn/sandbarn/proto/remoteworker"
	runnerpb "github.com/sandbarn/sandbarn/proto/runner"
	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
	"github.com/sandbarn/sandbarn/storage/memory"
	"github.com/sandbarn/sandbarn/worker/filecache"
	"github.com/sandbarn/sandbarn/worker/inputroot"
)

// execRunner is a minimal runner for tests: plain os/exec, no sandbox.
type execRunner struct {
	runnerpb.UnimplementedRunnerServer
	buildDir string
	mu       sync.Mutex
	last     *runnerpb.RunRequest
}

func (r *execRunner) Run(ctx context.Context, req *runnerpb.RunRequest) (*runnerpb.RunResponse, error) {
	r.mu.Lock()
	r.last = req
	r.mu.Unlock()
	if req.Timeout != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, req.Timeout.AsDuration())
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, req.Arguments[0], req.Arguments[1:]...)
	cmd.Dir = filepath.Join(r.buildDir, req.InputRootDirectory, req.WorkingDirectory)
	for k, v := range req.EnvironmentVariables {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stdout, err := os.Create(filepath.Join(r.buildDir, req.StdoutPath))
	if err != nil {
		return nil, err
	}
	defer stdout.Close()
	cmd.Stdout, cmd.Stderr = stdout, stdout
	start := time.Now()
	err = cmd.Run()
	resp := &runnerpb.RunResponse{
		Usage:       &runnerpb.ResourceUsage{WallTime: durationpb.New(time.Since(start))},
		Environment: &runnerpb.ExecutionEnvironment{ContainerImage: testImage},
	}
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		resp.TimedOut = true
		resp.ExitCode = -1
	case errors.As(err, &exitErr):
		resp.ExitCode = int64(exitErr.ExitCode())
	case err != nil:
		return nil, status.Errorf(codes.InvalidArgument, "start: %v", err)
	}
	return resp, nil
}

type testEnv struct {
	t        *testing.T
	cas, ac  *memory.BlobAccess
	runner   *execRunner
	server   *grpc.Server
	executor *Executor
	buildDir string
}

func newTestEnv(t *testing.T) *testEnv {
	dir := t.TempDir()
	env := &testEnv{t: t, cas: memory.NewCAS(), ac: memory.NewActionCache(), buildDir: filepath.Join(dir, "build")}
	os.Mkdir(env.buildDir, 0o755)
	cache, err := filecache.New(filepath.Join(dir, "cache"), 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	lis := bufconn.Listen(1 << 20)
	env.runner = &execRunner{buildDir: env.buildDir}
	env.server = grpc.NewServer()
	runnerpb.RegisterRunnerServer(env.server, env.runner)
	go env.server.Serve(lis)
	t.Cleanup(env.server.Stop)
	conn, err := grpc.NewClient("passthrough:///runner",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	env.executor = NewExecutor(ExecutorConfig{
		CAS: env.cas, ActionCache: env.ac, Runner: runnerpb.NewRunnerClient(conn),
		Populator:      inputroot.NewPopulator(env.cas, cache, 8, false),
		BuildDirectory: env.buildDir, WorkerName: "test-worker",
	})
	return env
}

// action stores a Command and an input root and returns the desired state
// that a scheduler would send.
func (env *testEnv) action(cmd *remoteexecution.Command, root *remoteexecution.Directory, timeout time.Duration, doNotCache bool) *remoteworker.DesiredState_Executing {
	ctx := context.Background()
	cmdDigest, err := storage.PutProto(ctx, env.cas, "", cmd)
	if err != nil {
		env.t.Fatal(err)
	}
	rootDigest, err := storage.PutProto(ctx, env.cas, "", root)
	if err != nil {
		env.t.Fatal(err)
	}
	action := &remoteexecution.Action{CommandDigest: cmdDigest.Proto(), InputRootDigest: rootDigest.Proto(), DoNotCache: doNotCache}
	if timeout > 0 {
		action.Timeout = durationpb.New(timeout)
	}
	actionDigest, err := storage.PutProto(ctx, env.cas, "", action)
	if err != nil {
		env.t.Fatal(err)
	}
	return &remoteworker.DesiredState_Executing{ActionDigest: actionDigest.Proto(), Action: action, InstanceNameSuffix: "suffix"}
}

func (env *testEnv) file(name, content string, executable bool) *remoteexecution.FileNode {
	d := digest.OfBytes("", []byte(content))
	if err := storage.PutBytes(context.Background(), env.cas, d, []byte(content)); err != nil {
		env.t.Fatal(err)
	}
	return &remoteexecution.FileNode{Name: name, Digest: d.Proto(), IsExecutable: executable}
}

func (env *testEnv) read(d *remoteexecution.Digest) string {
	dg, _ := digest.FromProto("", 0, d)
	data, err := storage.GetBytes(context.Background(), env.cas, dg, 1<<20)
	if err != nil {
		env.t.Fatalf("read %v: %v", d, err)
	}
	return string(data)
}

func (env *testEnv) execute(desired *remoteworker.DesiredState_Executing) (*remoteexecution.ExecuteResponse, []Stage) {
	var stages []Stage
	resp := env.executor.Execute(context.Background(), "0", "prefix", desired, func(s Stage) { stages = append(stages, s) })
	return resp, stages
}

func sh(script string) []string { return []string{"/bin/sh", "-c", script} }

// testImage is what the test runner reports every action ran on.
const testImage = "docker://registry.test/image@sha256:0123"

func TestExecuteSuccessfulAction(t *testing.T) {
	env := newTestEnv(t)
	cmd := &remoteexecution.Command{
		Arguments:            sh(`cat in.txt > out/copy.txt && echo "$GREETING" && mkdir -p dir/sub && echo t > dir/sub/t && chmod 555 dir/sub && ln -s copy.txt out/link`),
		EnvironmentVariables: []*remoteexecution.Command_EnvironmentVariable{{Name: "GREETING", Value: "hello"}},
		OutputFiles:          []string{"out/copy.txt", "out/link"},
		OutputDirectories:    []string{"dir"},
		Platform:             &remoteexecution.Platform{Properties: []*remoteexecution.Platform_Property{{Name: "OSFamily", Value: "Linux"}}},
	}
	desired := env.action(cmd, &remoteexecution.Directory{Files: []*remoteexecution.FileNode{env.file("in.txt", "input data", false)}}, time.Minute, false)
	resp, stages := env.execute(desired)
	if resp.Status.GetCode() != 0 {
		t.Fatalf("status %v", resp.Status)
	}
	r := resp.Result
	if r.ExitCode != 0 || len(r.OutputFiles) != 1 || env.read(r.OutputFiles[0].Digest) != "input data" {
		t.Fatalf("result %v", r)
	}
	if len(r.OutputFileSymlinks) != 1 || len(r.OutputDirectories) != 1 {
		t.Fatalf("symlinks/directories %v", r)
	}
	if env.read(r.StdoutDigest) != "hello\n" {
		t.Fatalf("stdout %q", env.read(r.StdoutDigest))
	}
	md := r.ExecutionMetadata
	if md.Worker != "test-worker" || md.OutputUploadCompletedTimestamp == nil || md.ExecutionStartTimestamp == nil || md.WorkerCompletedTimestamp == nil || len(md.AuxiliaryMetadata) != 2 {
		t.Fatalf("metadata %v", md)
	}
	// The runner's usage and the image the action ran on.
	var ranOn runnerpb.ExecutionEnvironment
	if err := md.AuxiliaryMetadata[1].UnmarshalTo(&ranOn); err != nil || ranOn.ContainerImage != testImage {
		t.Fatalf("auxiliary metadata %v: %v", md.AuxiliaryMetadata, err)
	}
	if len(stages) != 3 {
		t.Fatalf("stages %v", stages)
	}
	req := env.runner.last
	if req.InstanceName != "prefix/suffix" || len(req.Platform.GetProperties()) != 1 || req.Timeout.AsDuration() != time.Minute {
		t.Fatalf("run request %v", req)
	}
	// The Action Cache has the result under the instance name.
	ad, _ := digest.FromProto("prefix/suffix", 0, desired.ActionDigest)
	if _, err := env.ac.Get(context.Background(), ad); err != nil {
		t.Fatalf("action cache: %v", err)
	}
	// The slot holds only the (empty) input root, despite the read-only
	// directory the action left.
	left, err := os.ReadDir(filepath.Join(env.buildDir, "0"))
	if err != nil || len(left) != 1 || left[0].Name() != "root" {
		t.Fatalf("slot directory after the action: %v, %v", left, err)
	}
	if inRoot, err := os.ReadDir(filepath.Join(env.buildDir, "0", "root")); err != nil || len(inRoot) != 0 {
		t.Fatalf("input root left behind: %v, %v", inRoot, err)
	}
}

func TestExecuteFailingActionIsNotCached(t *testing.T) {
	env := newTestEnv(t)
	desired := env.action(&remoteexecution.Command{Arguments: sh("echo oops >&2; exit 3")}, &remoteexecution.Directory{}, 0, false)
	resp, _ := env.execute(desired)
	if resp.Status.GetCode() != 0 || resp.Result.ExitCode != 3 {
		t.Fatalf("response %v", resp)
	}
	ad, _ := digest.FromProto("prefix/suffix", 0, desired.ActionDigest)
	if _, err := env.ac.Get(context.Background(), ad); status.Code(err) != codes.NotFound {
		t.Fatalf("failed action was cached: %v", err)
	}
	desired = env.action(&remoteexecution.Command{Arguments: sh("true")}, &remoteexecution.Directory{}, 0, true)
	env.execute(desired)
	ad, _ = digest.FromProto("prefix/suffix", 0, desired.ActionDigest)
	if _, err := env.ac.Get(context.Background(), ad); status.Code(err) != codes.NotFound {
		t.Fatalf("do_not_cache action was cached: %v", err)
	}
}

func TestExecuteTimeoutKeepsPartialOutputs(t *testing.T) {
	env := newTestEnv(t)
	cmd := &remoteexecution.Command{Arguments: sh("echo partial > out.txt; echo started; exec sleep 10"), OutputPaths: []string{"out.txt"}}
	resp, _ := env.execute(env.action(cmd, &remoteexecution.Directory{}, 300*time.Millisecond, false))
	if codes.Code(resp.Status.GetCode()) != codes.DeadlineExceeded {
		t.Fatalf("status %v, want DEADLINE_EXCEEDED", resp.Status)
	}
	if len(resp.Result.OutputFiles) != 1 || env.read(resp.Result.StdoutDigest) != "started\n" {
		t.Fatalf("partial outputs missing: %v", resp.Result)
	}
}

func TestExecuteMissingInputs(t *testing.T) {
	env := newTestEnv(t)
	missing := digest.OfBytes("", []byte("never uploaded"))
	root := &remoteexecution.Directory{Files: []*remoteexecution.FileNode{{Name: "f", Digest: missing.Proto()}}}
	resp, _ := env.execute(env.action(&remoteexecution.Command{Arguments: sh("true")}, root, 0, false))
	st := status.FromProto(resp.Status)
	if st.Code() != codes.FailedPrecondition {
		t.Fatalf("status %v", st)
	}
	found := false
	for _, d := range st.Details() {
		if pf, ok := d.(*errdetails.PreconditionFailure); ok && len(pf.Violations) == 1 && pf.Violations[0].Subject == "blobs/"+missing.Hash+"/14" {
			found = true
		}
	}
	if !found {
		t.Fatalf("no MISSING violation in %v", st.Details())
	}
}

func TestExecuteRunnerUnavailable(t *testing.T) {
	env := newTestEnv(t)
	env.server.Stop()
	resp, _ := env.execute(env.action(&remoteexecution.Command{Arguments: sh("true")}, &remoteexecution.Directory{}, 0, false))
	if codes.Code(resp.Status.GetCode()) != codes.Unavailable {
		t.Fatalf("status %v, want UNAVAILABLE", resp.Status)
	}
	// The runner's message gets context, not gRPC's "rpc error" prefix.
	if msg := resp.Status.GetMessage(); !strings.HasPrefix(msg, "runner: ") || strings.Contains(msg, "rpc error") {
		t.Errorf("message %q, want the runner's own message after \"runner: \"", msg)
	}
}

// fakeScheduler hands out one action and records what the slot reports.
type fakeScheduler struct {
	mu       sync.Mutex
	desired  *remoteworker.DesiredState_Executing
	handed   bool
	reports  []*remoteworker.SynchronizeRequest
	finished chan *remoteexecution.ExecuteResponse
}

func (f *fakeScheduler) Synchronize(ctx context.Context, req *remoteworker.SynchronizeRequest, _ ...grpc.CallOption) (*remoteworker.SynchronizeResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reports = append(f.reports, req)
	if c := req.CurrentState.GetExecuting().GetCompleted(); c != nil {
		select {
		case f.finished <- c:
		default:
		}
	}
	if !f.handed {
		f.handed = true
		return &remoteworker.SynchronizeResponse{DesiredState: &remoteworker.DesiredState{WorkerState: &remoteworker.DesiredState_Executing_{Executing: f.desired}}}, nil
	}
	if req.CurrentState.GetIdle() != nil || req.CurrentState.GetExecuting().GetCompleted() != nil {
		return &remoteworker.SynchronizeResponse{DesiredState: &remoteworker.DesiredState{WorkerState: &remoteworker.DesiredState_Idle{Idle: &emptypb.Empty{}}}}, nil
	}
	return &remoteworker.SynchronizeResponse{DesiredState: &remoteworker.DesiredState{WorkerState: &remoteworker.DesiredState_Executing_{Executing: f.desired}}}, nil
}

func TestSlotReportsStagesAndCompletion(t *testing.T) {
	env := newTestEnv(t)
	sched := &fakeScheduler{desired: env.action(&remoteexecution.Command{Arguments: sh("echo ok")}, &remoteexecution.Directory{}, 0, false), finished: make(chan *remoteexecution.ExecuteResponse, 4)}
	slot := NewSlot(SlotConfig{Scheduler: sched, Executor: env.executor, Name: "0", WorkerID: map[string]string{"slot": "0"}, InstanceNamePrefix: "prefix"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- slot.Run(ctx) }()
	select {
	case resp := <-sched.finished:
		if resp.Status.GetCode() != 0 || env.read(resp.Result.StdoutDigest) != "ok\n" {
			t.Fatalf("completed with %v", resp)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("slot never reported completion")
	}
	cancel()
	<-done
	sched.mu.Lock()
	defer sched.mu.Unlock()
	if sched.reports[0].CurrentState.GetIdle() == nil || sched.reports[0].WorkerId["slot"] != "0" {
		t.Fatalf("first report %v", sched.reports[0])
	}
	if sched.reports[1].CurrentState.GetExecuting() == nil {
		t.Fatalf("second report %v", sched.reports[1])
	}
}
