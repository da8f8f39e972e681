package worker

import (
	"context"
	"sync"
	"testing"
	"time"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"github.com/sandbarn/sandbarn/proto/remoteworker"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/emptypb"
)

// cancellingScheduler hands out one action and, once the slot reports it
// running, answers idle: what the scheduler does after CancelOperation.
type cancellingScheduler struct {
	mu       sync.Mutex
	desired  *remoteworker.DesiredState_Executing
	handed   bool
	finished chan *remoteexecution.ExecuteResponse
}

func (f *cancellingScheduler) Synchronize(_ context.Context, req *remoteworker.SynchronizeRequest, _ ...grpc.CallOption) (*remoteworker.SynchronizeResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	idle := &remoteworker.SynchronizeResponse{DesiredState: &remoteworker.DesiredState{WorkerState: &remoteworker.DesiredState_Idle{Idle: &emptypb.Empty{}}}}
	ex := req.CurrentState.GetExecuting()
	if c := ex.GetCompleted(); c != nil {
		select {
		case f.finished <- c:
		default:
		}
		return idle, nil
	}
	if !f.handed {
		f.handed = true
		return &remoteworker.SynchronizeResponse{DesiredState: &remoteworker.DesiredState{WorkerState: &remoteworker.DesiredState_Executing_{Executing: f.desired}}}, nil
	}
	if ex.GetRunning() != nil {
		return idle, nil
	}
	return &remoteworker.SynchronizeResponse{DesiredState: &remoteworker.DesiredState{WorkerState: &remoteworker.DesiredState_Executing_{Executing: f.desired}}}, nil
}

// A slot answered idle while it runs an action kills the action and
// reports it CANCELLED, long before the action would have ended.
func TestSlotCancelsActionWhenToldIdle(t *testing.T) {
	env := newTestEnv(t)
	sched := &cancellingScheduler{
		desired:  env.action(&remoteexecution.Command{Arguments: sh("sleep 60")}, &remoteexecution.Directory{}, 0, false),
		finished: make(chan *remoteexecution.ExecuteResponse, 1),
	}
	slot := NewSlot(SlotConfig{Scheduler: sched, Executor: env.executor, Name: "0", WorkerID: map[string]string{"slot": "0"}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go slot.Run(ctx)
	start := time.Now()
	select {
	case resp := <-sched.finished:
		if codes.Code(resp.Status.GetCode()) != codes.Canceled {
			t.Fatalf("completed with %v, want CANCELLED", resp.Status)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("cancellation took %s", d)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the slot kept running a cancelled action")
	}
}
