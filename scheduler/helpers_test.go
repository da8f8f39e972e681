package scheduler

import (
	"context"
	"testing"
	"time"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/sandbarn/sandbarn/platform"
	"github.com/sandbarn/sandbarn/proto/remoteworker"
	"github.com/sandbarn/sandbarn/scheduler/clocktest"
	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
	"github.com/sandbarn/sandbarn/storage/memory"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// env is a scheduler over in-memory storage with a manual clock.
type env struct {
	t   testing.TB
	cas *memory.BlobAccess
	ac  *memory.BlobAccess
	clk *clocktest.Clock
	s   *Scheduler
}

func testConfig() Config {
	return Config{
		PropertyRules:      map[string]string{"memory": platform.RuleMinimum, "container-image": platform.RuleRunner},
		StartupGracePeriod: 10 * time.Second,
	}
}

func newEnv(t testing.TB, cfg Config) *env {
	t.Helper()
	e := &env{t: t, cas: memory.NewCAS(), ac: memory.NewActionCache(), clk: clocktest.New(epoch)}
	e.s = e.newScheduler(cfg, e.clk)
	return e
}

// newScheduler returns a scheduler over e's storage running on clk.
func (e *env) newScheduler(cfg Config, clk Clock) *Scheduler {
	e.t.Helper()
	s, err := New(cfg, e.cas, e.ac, clk, &clocktest.SequentialIDs{}, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// synchronize sends one Synchronize through the worker protocol's server.
func (e *env) synchronize(ctx context.Context, req *remoteworker.SynchronizeRequest) (*remoteworker.SynchronizeResponse, error) {
	return operationQueueServer{s: e.s}.Synchronize(ctx, req)
}

// pastGrace moves the clock beyond the start-up grace period.
func (e *env) pastGrace() {
	e.clk.Advance(e.s.cfg.StartupGracePeriod + time.Second)
}

type actionOpts struct {
	actionPlatform  map[string]string
	commandPlatform map[string]string
	timeout         time.Duration
	doNotCache      bool
	args            []string
}

func platformProto(m map[string]string) *remoteexecution.Platform {
	if len(m) == 0 {
		return nil
	}
	p := &remoteexecution.Platform{}
	for k, v := range m {
		p.Properties = append(p.Properties, &remoteexecution.Platform_Property{Name: k, Value: v})
	}
	return p
}

// upload stores an Action, its Command and an empty input root, and
// returns the action digest.
func (e *env) upload(o actionOpts) digest.Digest {
	e.t.Helper()
	ctx := context.Background()
	args := o.args
	if args == nil {
		args = []string{"/bin/true"}
	}
	cd, err := storage.PutProto(ctx, e.cas, "", &remoteexecution.Command{Arguments: args, Platform: platformProto(o.commandPlatform)})
	if err != nil {
		e.t.Fatal(err)
	}
	rd, err := storage.PutProto(ctx, e.cas, "", &remoteexecution.Directory{})
	if err != nil {
		e.t.Fatal(err)
	}
	a := &remoteexecution.Action{CommandDigest: cd.Proto(), InputRootDigest: rd.Proto(), Platform: platformProto(o.actionPlatform), DoNotCache: o.doNotCache}
	if o.timeout != 0 {
		a.Timeout = durationpb.New(o.timeout)
	}
	ad, err := storage.PutProto(ctx, e.cas, "", a)
	if err != nil {
		e.t.Fatal(err)
	}
	return ad
}

func invocationContext(id string) context.Context {
	rm, _ := proto.Marshal(&remoteexecution.RequestMetadata{ToolInvocationId: id})
	return metadata.NewIncomingContext(context.Background(), metadata.Pairs(requestMetadataKey, string(rm)))
}

func executeRequest(instance string, d digest.Digest, priority int32) *remoteexecution.ExecuteRequest {
	return &remoteexecution.ExecuteRequest{InstanceName: instance, ActionDigest: d.Proto(),
		ExecutionPolicy: &remoteexecution.ExecutionPolicy{Priority: priority}}
}

// execute submits an action and fails the test on error.
func (e *env) execute(invocation, instance string, d digest.Digest, priority int32) *operation {
	e.t.Helper()
	op, _ := e.executeNamed(invocation, instance, d, priority)
	return op
}

// executeNamed is execute, also returning the name the caller knows the
// operation by.
func (e *env) executeNamed(invocation, instance string, d digest.Digest, priority int32) (*operation, string) {
	e.t.Helper()
	op, name, err := e.s.execute(invocationContext(invocation), executeRequest(instance, d, priority))
	if err != nil {
		e.t.Fatalf("Execute: %v", err)
	}
	return op, name
}

// executeErr submits an action expecting an error with the given code.
func (e *env) executeErr(code codes.Code, req *remoteexecution.ExecuteRequest) *status.Status {
	e.t.Helper()
	_, _, err := e.s.execute(context.Background(), req)
	if status.Code(err) != code {
		e.t.Fatalf("Execute: got %v, want code %s", err, code)
	}
	return status.Convert(err)
}

// testWorker is a simulated worker slot.
type testWorker struct {
	e        *env
	id       map[string]string
	prefix   string
	platform *remoteexecution.Platform
}

func (e *env) worker(name, prefix string, platform map[string]string) *testWorker {
	return &testWorker{e: e, id: map[string]string{"hostname": name, "slot": "0"}, prefix: prefix, platform: platformProto(platform)}
}

// sync sends one Synchronize. A cancelled context makes an idle worker
// return at once instead of long-polling.
func (w *testWorker) sync(state *remoteworker.CurrentState) *remoteworker.SynchronizeResponse {
	w.e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	resp, err := w.e.synchronize(ctx, &remoteworker.SynchronizeRequest{
		WorkerId: w.id, InstanceNamePrefix: w.prefix, Platform: w.platform, CurrentState: state})
	if err != nil {
		w.e.t.Fatalf("Synchronize: %v", err)
	}
	return resp
}

func idleState() *remoteworker.CurrentState {
	return &remoteworker.CurrentState{WorkerState: &remoteworker.CurrentState_Idle{Idle: &emptypb.Empty{}}}
}

func runningState(d *remoteexecution.Digest) *remoteworker.CurrentState {
	return &remoteworker.CurrentState{WorkerState: &remoteworker.CurrentState_Executing_{Executing: &remoteworker.CurrentState_Executing{
		ActionDigest: d, ExecutionState: &remoteworker.CurrentState_Executing_Running{Running: &emptypb.Empty{}}}}}
}

func completedState(d *remoteexecution.Digest, exitCode int32) *remoteworker.CurrentState {
	return &remoteworker.CurrentState{WorkerState: &remoteworker.CurrentState_Executing_{Executing: &remoteworker.CurrentState_Executing{
		ActionDigest: d, ExecutionState: &remoteworker.CurrentState_Executing_Completed{Completed: &remoteexecution.ExecuteResponse{
			Result: &remoteexecution.ActionResult{ExitCode: exitCode}}}}}}
}

// assigned returns the action a response tells the worker to run, or nil.
func assigned(resp *remoteworker.SynchronizeResponse) *remoteworker.DesiredState_Executing {
	return resp.GetDesiredState().GetExecuting()
}

// stageOf reads an operation's stage under the lock.
func (e *env) stageOf(op *operation) remoteexecution.ExecutionStage_Value {
	e.s.mu.Lock()
	defer e.s.mu.Unlock()
	return op.stage
}

// responseOf decodes op's result; nil while it runs.
func (e *env) responseOf(op *operation) *remoteexecution.ExecuteResponse {
	e.s.mu.Lock()
	defer e.s.mu.Unlock()
	if !op.done() {
		return nil
	}
	resp := &remoteexecution.ExecuteResponse{}
	if err := proto.Unmarshal(op.outcome.response, resp); err != nil {
		e.t.Fatal(err)
	}
	return resp
}

func protoMarshal(m proto.Message) ([]byte, error) { return proto.Marshal(m) }
