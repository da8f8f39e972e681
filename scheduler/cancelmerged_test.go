package scheduler

import (
	"testing"

	"cloud.google.com/go/longrunning/autogen/longrunningpb"
	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	"github.com/sandbarn/sandbarn/proto/remoteworker"
)

// Two builds sending the same action share one execution but not one
// name: one cancelling ends only its own wait, and the action is killed
// only when every client has cancelled.
func TestCancellingOneOfMergedExecutes(t *testing.T) {
	e := newEnv(t, testConfig())
	conn := e.serve()
	exec := remoteexecution.NewExecutionClient(conn)
	ops := longrunningpb.NewOperationsClient(conn)
	w := e.worker("w1", "", linux)
	w.sync(idleState())
	d := e.upload(actionOpts{actionPlatform: linux})

	a, nameA := startExecute(t, exec, d.Proto())
	b, nameB := startExecute(t, exec, d.Proto())
	if nameA == nameB {
		t.Fatalf("merged Executes share the name %s", nameA)
	}
	if assigned(w.sync(idleState())) == nil {
		t.Fatal("worker did not get the action")
	}
	if _, err := ops.CancelOperation(t.Context(), &longrunningpb.CancelOperationRequest{Name: nameA}); err != nil {
		t.Fatal(err)
	}
	if last := drain(t, a); !last.Done || last.Name != nameA || codes.Code(resultOf(t, last).Status.GetCode()) != codes.Canceled {
		t.Fatalf("cancelled client's last message %v, want its name, done, CANCELLED", last)
	}
	// The other build still wants the result: the worker keeps running.
	if ex := w.sync(runningState(d.Proto())).DesiredState.GetExecuting(); ex == nil {
		t.Fatal("the action was stopped although another client still waits for it")
	}
	w.sync(completedState(d.Proto(), 7))
	last := drain(t, b)
	if !last.Done || last.Name != nameB || resultOf(t, last).GetResult().GetExitCode() != 7 {
		t.Fatalf("remaining client's last message %v, want its name and exit code 7", last)
	}
	// Each name keeps its own view.
	got, err := ops.GetOperation(t.Context(), &longrunningpb.GetOperationRequest{Name: nameA})
	if err != nil || codes.Code(resultOf(t, got).Status.GetCode()) != codes.Canceled {
		t.Fatalf("get %s: %v, %v", nameA, got, err)
	}

	// When every client cancels, the action is killed.
	d2 := e.upload(actionOpts{actionPlatform: linux, args: []string{"second"}})
	c, nameC := startExecute(t, exec, d2.Proto())
	f, nameD := startExecute(t, exec, d2.Proto())
	if assigned(w.sync(idleState())) == nil {
		t.Fatal("worker did not get the second action")
	}
	for _, name := range []string{nameC, nameD} {
		if _, err := ops.CancelOperation(t.Context(), &longrunningpb.CancelOperationRequest{Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []grpc.ServerStreamingClient[longrunningpb.Operation]{c, f} {
		if last := drain(t, s); codes.Code(resultOf(t, last).Status.GetCode()) != codes.Canceled {
			t.Fatalf("last message %v, want CANCELLED", last)
		}
	}
	if _, idle := w.sync(runningState(d2.Proto())).DesiredState.WorkerState.(*remoteworker.DesiredState_Idle); !idle {
		t.Fatal("worker was not told to stop an action every client cancelled")
	}
}
