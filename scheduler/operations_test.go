package scheduler

import (
	"context"
	"io"
	"testing"

	"cloud.google.com/go/longrunning/autogen/longrunningpb"
	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"google.golang.org/genproto/googleapis/bytestream"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/sandbarn/sandbarn/proto/remoteworker"
	"github.com/sandbarn/sandbarn/storage/logstream"
)

// CancelOperation completes the operation with CANCELLED for the client
// at once, and the worker running it is answered idle, which makes its
// slot kill the action.
func TestCancelOperation(t *testing.T) {
	e := newEnv(t, testConfig())
	conn := e.serve()
	ops := longrunningpb.NewOperationsClient(conn)
	w := e.worker("w1", "", linux)
	w.sync(idleState())
	d := e.upload(actionOpts{actionPlatform: linux})
	stream, name := startExecute(t, remoteexecution.NewExecutionClient(conn), d.Proto())
	if assigned(w.sync(idleState())) == nil {
		t.Fatal("worker did not get the action")
	}
	if _, err := ops.CancelOperation(t.Context(), &longrunningpb.CancelOperationRequest{Name: name}); err != nil {
		t.Fatal(err)
	}
	last := drain(t, stream)
	if c := codes.Code(resultOf(t, last).Status.GetCode()); !last.Done || c != codes.Canceled {
		t.Fatalf("last message done=%v code %v, want CANCELLED", last.Done, c)
	}
	// The worker, still running it, is told to stop.
	if _, idle := w.sync(runningState(d.Proto())).DesiredState.WorkerState.(*remoteworker.DesiredState_Idle); !idle {
		t.Fatal("worker running a cancelled action was not told to go idle")
	}
	// Cancelling again is fine; an unknown name is NotFound.
	if _, err := ops.CancelOperation(t.Context(), &longrunningpb.CancelOperationRequest{Name: name}); err != nil {
		t.Fatalf("second cancel: %v", err)
	}
	if _, err := ops.CancelOperation(t.Context(), &longrunningpb.CancelOperationRequest{Name: "nosuch"}); status.Code(err) != codes.NotFound {
		t.Fatalf("cancel of an unknown operation: %v", err)
	}
}

func TestGetWaitAndListOperations(t *testing.T) {
	e := newEnv(t, testConfig())
	ops := longrunningpb.NewOperationsClient(e.serve())
	w := e.worker("w1", "", linux)
	w.sync(idleState())
	d := e.upload(actionOpts{actionPlatform: linux})
	op := e.execute("a", "", d, 0)
	got, err := ops.GetOperation(t.Context(), &longrunningpb.GetOperationRequest{Name: op.name})
	if err != nil || got.Name != op.name || got.Done {
		t.Fatalf("get: %v, %v", got, err)
	}
	list, err := ops.ListOperations(outgoingInvocation(t, "a"), &longrunningpb.ListOperationsRequest{})
	if err != nil || len(list.Operations) != 1 || list.Operations[0].Name != op.name {
		t.Fatalf("list: %v, %v", list, err)
	}
	// Another build, or a caller without RequestMetadata, sees none of it.
	for _, ctx := range []context.Context{outgoingInvocation(t, "b"), t.Context()} {
		if list, err := ops.ListOperations(ctx, &longrunningpb.ListOperationsRequest{}); err != nil || len(list.Operations) != 0 {
			t.Fatalf("list by another invocation: %v, %v", list, err)
		}
	}
	done := make(chan *longrunningpb.Operation, 1)
	go func() {
		msg, err := ops.WaitOperation(t.Context(), &longrunningpb.WaitOperationRequest{Name: op.name, Timeout: durationpb.New(e.s.cfg.KeepAliveInterval)})
		if err != nil {
			t.Error(err)
		}
		done <- msg
	}()
	assigned(w.sync(idleState()))
	w.sync(completedState(d.Proto(), 0))
	if msg := <-done; !msg.GetDone() {
		t.Fatalf("wait returned %v before the operation was done", msg)
	}
	if _, err := ops.DeleteOperation(t.Context(), &longrunningpb.DeleteOperationRequest{Name: op.name}); status.Code(err) != codes.Unimplemented {
		t.Fatalf("delete: %v", err)
	}
}

// With a log stream store, each dispatch gets a stdout and a stderr
// stream: clients see the read names in the operation metadata, the
// worker gets the write names, and the streams end with the action.
func TestLogStreamsPerDispatch(t *testing.T) {
	e := newEnv(t, testConfig())
	logs := logstream.NewStore(logstream.Options{})
	e.s.UseLogStreams(logs)
	w := e.worker("w1", "", linux)
	w.sync(idleState())
	d := e.upload(actionOpts{actionPlatform: linux})
	op := e.execute("a", "inst", d, 0)
	ex := assigned(w.sync(idleState()))
	if ex == nil {
		t.Fatal("not assigned")
	}
	names := &remoteworker.LogStreamWriteNames{}
	if len(ex.AuxiliaryMetadata) != 1 || ex.AuxiliaryMetadata[0].UnmarshalTo(names) != nil {
		t.Fatalf("auxiliary metadata %v", ex.AuxiliaryMetadata)
	}
	e.s.mu.Lock()
	snap := op.snapshot(op.name)
	e.s.mu.Unlock()
	md := &remoteexecution.ExecuteOperationMetadata{}
	if err := operationMessage(snap).Metadata.UnmarshalTo(md); err != nil {
		t.Fatal(err)
	}
	if md.StdoutStreamName == "" || md.StderrStreamName == "" || names.StdoutWriteResourceName != md.StdoutStreamName+names.StdoutWriteResourceName[len(md.StdoutStreamName):] {
		t.Fatalf("read names %q %q, write names %v", md.StdoutStreamName, md.StderrStreamName, names)
	}

	// The worker's write reaches a client reading the read name.
	bs := newLogByteStream(t, logs)
	write, err := bs.Write(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	write.Send(&bytestream.WriteRequest{ResourceName: names.StdoutWriteResourceName, Data: []byte("live\n")})
	read, err := bs.Read(t.Context(), &bytestream.ReadRequest{ResourceName: md.StdoutStreamName})
	if err != nil {
		t.Fatal(err)
	}
	if msg, err := read.Recv(); err != nil || string(msg.Data) != "live\n" {
		t.Fatalf("read %q, %v", msg.GetData(), err)
	}
	// Completion ends the streams even though the worker never finished
	// writing.
	w.sync(completedState(d.Proto(), 0))
	if _, err := read.Recv(); err != io.EOF {
		t.Fatalf("after completion: %v, want EOF", err)
	}
}

// outgoingInvocation is a client context carrying RequestMetadata with the
// given tool invocation id.
func outgoingInvocation(t *testing.T, id string) context.Context {
	rm, err := proto.Marshal(&remoteexecution.RequestMetadata{ToolInvocationId: id})
	if err != nil {
		t.Fatal(err)
	}
	return metadata.AppendToOutgoingContext(t.Context(), requestMetadataKey, string(rm))
}
