package scheduler

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"cloud.google.com/go/longrunning/autogen/longrunningpb"
	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"google.golang.org/genproto/googleapis/bytestream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	"github.com/sandbarn/sandbarn/proto/remoteworker"
	"github.com/sandbarn/sandbarn/storage/logstream"
)

// serve runs the scheduler's gRPC services on an in-memory listener.
func (e *env) serve() *grpc.ClientConn {
	e.t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	e.s.Register(srv)
	go srv.Serve(lis)
	e.t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { conn.Close() })
	return conn
}

func stageOfMessage(t *testing.T, op *longrunningpb.Operation) remoteexecution.ExecutionStage_Value {
	t.Helper()
	md := &remoteexecution.ExecuteOperationMetadata{}
	if err := op.Metadata.UnmarshalTo(md); err != nil {
		t.Fatal(err)
	}
	return md.Stage
}

func resultOf(t *testing.T, op *longrunningpb.Operation) *remoteexecution.ExecuteResponse {
	t.Helper()
	resp := &remoteexecution.ExecuteResponse{}
	if err := op.GetResponse().UnmarshalTo(resp); err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestExecuteStreamsEveryStageToEveryWaiter(t *testing.T) {
	e := newEnv(t, testConfig())
	conn := e.serve()
	exec := remoteexecution.NewExecutionClient(conn)
	workers := remoteworker.NewOperationQueueClient(conn)
	ctx := t.Context()

	// A worker long-polls before any work exists.
	type answer struct {
		resp *remoteworker.SynchronizeResponse
		err  error
	}
	polled := make(chan answer, 1)
	req := &remoteworker.SynchronizeRequest{WorkerId: map[string]string{"hostname": "w1"}, Platform: platformProto(linux), CurrentState: idleState()}
	go func() {
		resp, err := workers.Synchronize(ctx, req)
		polled <- answer{resp, err}
	}()
	waitFor(t, func() bool {
		e.s.mu.Lock()
		defer e.s.mu.Unlock()
		w := e.s.workers.byKey[workerKey(req.WorkerId)]
		return w != nil && w.waitElem != nil
	})

	d := e.upload(actionOpts{actionPlatform: linux})
	stream, err := exec.Execute(ctx, executeRequest("", d, 0))
	if err != nil {
		t.Fatal(err)
	}
	first, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	got := <-polled
	if got.err != nil || assigned(got.resp) == nil {
		t.Fatalf("long-polling worker was not woken with the action: %v %v", got.resp, got.err)
	}
	second, err := exec.WaitExecution(ctx, &remoteexecution.WaitExecutionRequest{Name: first.Name})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := second.Recv(); err != nil {
		t.Fatal(err)
	}
	req.CurrentState = completedState(d.Proto(), 42)
	go workers.Synchronize(ctx, req)

	stages := []remoteexecution.ExecutionStage_Value{stageOfMessage(t, first)}
	var last *longrunningpb.Operation
	for {
		msg, err := stream.Recv()
		if err != nil {
			break
		}
		stages = append(stages, stageOfMessage(t, msg))
		last = msg
	}
	// The waiting worker took the action at once, so the stream starts at
	// EXECUTING.
	checkStages(t, stages, remoteexecution.ExecutionStage_EXECUTING, remoteexecution.ExecutionStage_COMPLETED)
	if !last.Done || resultOf(t, last).GetResult().GetExitCode() != 42 {
		t.Fatalf("final message %v lacks the result", last)
	}
	for {
		msg, err := second.Recv()
		if err != nil {
			t.Fatalf("WaitExecution ended without the result: %v", err)
		}
		if msg.Done {
			if resultOf(t, msg).GetResult().GetExitCode() != 42 {
				t.Fatal("second waiter got a different result")
			}
			break
		}
	}
	unknown, err := exec.WaitExecution(ctx, &remoteexecution.WaitExecutionRequest{Name: "nope"})
	if err == nil {
		_, err = unknown.Recv()
	}
	if status.Code(err) != codes.NotFound {
		t.Fatalf("unknown operation: %v, want NOT_FOUND", err)
	}
}

func checkStages(t *testing.T, got []remoteexecution.ExecutionStage_Value, want ...remoteexecution.ExecutionStage_Value) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("stages %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("stages %v, want %v", got, want)
		}
	}
}

func TestStagesPassedBetweenReadsAreStillSent(t *testing.T) {
	e := newEnv(t, testConfig())
	w := e.worker("w1", "", linux)
	w.sync(idleState())
	conn := e.serve()
	d := e.upload(actionOpts{actionPlatform: linux})
	stream, err := remoteexecution.NewExecutionClient(conn).Execute(t.Context(), executeRequest("", d, 0))
	if err != nil {
		t.Fatal(err)
	}
	first, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	// The action starts and finishes before the client reads again.
	assigned(w.sync(idleState()))
	w.sync(completedState(d.Proto(), 0))
	stages := []remoteexecution.ExecutionStage_Value{stageOfMessage(t, first)}
	for {
		msg, err := stream.Recv()
		if err != nil {
			break
		}
		stages = append(stages, stageOfMessage(t, msg))
	}
	checkStages(t, stages, remoteexecution.ExecutionStage_QUEUED, remoteexecution.ExecutionStage_EXECUTING, remoteexecution.ExecutionStage_COMPLETED)
}

func TestKeepAlive(t *testing.T) {
	e := newEnv(t, testConfig())
	e.worker("w1", "", linux).sync(idleState())
	conn := e.serve()
	d := e.upload(actionOpts{actionPlatform: linux})
	stream, err := remoteexecution.NewExecutionClient(conn).Execute(t.Context(), executeRequest("", d, 0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return e.clk.PendingTimers() > 0 })
	e.clk.Advance(e.s.cfg.KeepAliveInterval)
	msg, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if msg.Done || stageOfMessage(t, msg) != remoteexecution.ExecutionStage_QUEUED {
		t.Fatalf("keep-alive message %v, want the queued operation again", msg)
	}
}

// waitFor polls cond; it is for waiting on goroutines of the code under
// test, which the manual clock cannot drive.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 10s")
		}
		time.Sleep(time.Millisecond)
	}
}

// newLogByteStream serves the ByteStream side of a log stream store.
func newLogByteStream(t *testing.T, logs *logstream.Store) bytestream.ByteStreamClient {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	bytestream.RegisterByteStreamServer(srv, logstream.NewByteStream(logs))
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient("passthrough:///logs",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return bytestream.NewByteStreamClient(conn)
}

// startExecute starts an Execute call and returns it with the operation
// name of its first message.
func startExecute(t *testing.T, exec remoteexecution.ExecutionClient, d *remoteexecution.Digest) (grpc.ServerStreamingClient[longrunningpb.Operation], string) {
	t.Helper()
	stream, err := exec.Execute(t.Context(), &remoteexecution.ExecuteRequest{ActionDigest: d})
	if err != nil {
		t.Fatal(err)
	}
	first, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	return stream, first.Name
}

// drain reads a stream to its end and returns its last message.
func drain(t *testing.T, stream grpc.ServerStreamingClient[longrunningpb.Operation]) *longrunningpb.Operation {
	t.Helper()
	var last *longrunningpb.Operation
	for {
		msg, err := stream.Recv()
		if err == io.EOF {
			return last
		}
		if err != nil {
			t.Fatal(err)
		}
		last = msg
	}
}
