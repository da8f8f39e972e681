package worker

import (
	"context"
	"log"
	"sync"
	"time"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"github.com/sandbarn/sandbarn/proto/remoteworker"
	"google.golang.org/protobuf/types/known/emptypb"
)

// idlePoll is how soon a slot synchronizes again when the scheduler names
// no time (stage changes are reported at once regardless); retryDelay is the pause after a failed synchronization.
const (
	idlePoll   = time.Second
	retryDelay = time.Second
)

// SlotConfig describes one slot: a worker as the scheduler sees it.
type SlotConfig struct {
	Scheduler          remoteworker.OperationQueueClient
	Executor           *Executor
	Name               string // the slot's directory name, also its "slot" label
	WorkerID           map[string]string
	InstanceNamePrefix string
	Platform           *remoteexecution.Platform
}

// Slot synchronizes with the scheduler and runs one action at a time.
type Slot struct {
	cfg SlotConfig
}

// NewSlot returns a Slot. A worker with concurrency N runs N slots.
func NewSlot(cfg SlotConfig) *Slot {
	return &Slot{cfg: cfg}
}

// Run synchronizes until ctx is done. A running action is cancelled when
// the scheduler no longer wants it.
func (s *Slot) Run(ctx context.Context) error {
	state := idleState()
	var current *execution
	for ctx.Err() == nil {
		resp, err := s.cfg.Scheduler.Synchronize(ctx, &remoteworker.SynchronizeRequest{
			WorkerId:           s.cfg.WorkerID,
			InstanceNamePrefix: s.cfg.InstanceNamePrefix,
			Platform:           s.cfg.Platform,
			CurrentState:       state,
		})
		if err != nil {
			if ctx.Err() != nil {
				current.finish()
				return ctx.Err()
			}
			log.Printf("slot %s: synchronize: %v", s.cfg.Name, err)
			state = s.wait(ctx, current, state, time.Now().Add(retryDelay))
			continue
		}
		if isCompleted(state) {
			// The scheduler has the result; the slot is free again.
			current, state = nil, idleState()
		}
		switch desired := resp.GetDesiredState().GetWorkerState().(type) {
		case *remoteworker.DesiredState_Executing_:
			if current == nil {
				current = s.start(ctx, desired.Executing)
				state = current.state()
			}
		case *remoteworker.DesiredState_Idle:
			current.stop()
		}
		next := time.Now().Add(idlePoll)
		if t := resp.GetNextSynchronizationAt(); t != nil {
			next = t.AsTime()
		}
		if current != nil && isCompleted(current.state()) {
			next = time.Now()
		}
		state = s.wait(ctx, current, state, next)
	}
	current.finish()
	return ctx.Err()
}

// wait sleeps until next, or until the running action changes stage, and
// returns the state to report.
func (s *Slot) wait(ctx context.Context, current *execution, state *remoteworker.CurrentState, next time.Time) *remoteworker.CurrentState {
	timer := time.NewTimer(time.Until(next))
	defer timer.Stop()
	var changed <-chan struct{}
	if current != nil {
		changed = current.changed
	}
	select {
	case <-ctx.Done():
	case <-timer.C:
	case <-changed:
	}
	if current != nil {
		return current.state()
	}
	return state
}

func (s *Slot) start(ctx context.Context, desired *remoteworker.DesiredState_Executing) *execution {
	ctx, cancel := context.WithCancel(ctx)
	x := &execution{cancel: cancel, changed: make(chan struct{}, 1), done: make(chan struct{}), actionDigest: desired.ActionDigest}
	x.set(&remoteworker.CurrentState_Executing{ActionDigest: desired.ActionDigest, ExecutionState: &remoteworker.CurrentState_Executing_Started{Started: &emptypb.Empty{}}})
	go func() {
		resp := s.cfg.Executor.Execute(ctx, s.cfg.Name, s.cfg.InstanceNamePrefix, desired, x.reportStage)
		x.set(&remoteworker.CurrentState_Executing{ActionDigest: desired.ActionDigest, ExecutionState: &remoteworker.CurrentState_Executing_Completed{Completed: resp}})
		cancel()
		close(x.done)
	}()
	return x
}

// execution tracks an action running in the background: its latest state,
// and a signal when that changes.
type execution struct {
	cancel       context.CancelFunc
	changed      chan struct{}
	done         chan struct{} // closed when Execute has returned
	actionDigest *remoteexecution.Digest

	mu     sync.Mutex
	latest *remoteworker.CurrentState_Executing
}

func (x *execution) set(st *remoteworker.CurrentState_Executing) {
	x.mu.Lock()
	x.latest = st
	x.mu.Unlock()
	select {
	case x.changed <- struct{}{}:
	default:
	}
}

func (x *execution) state() *remoteworker.CurrentState {
	x.mu.Lock()
	defer x.mu.Unlock()
	return &remoteworker.CurrentState{WorkerState: &remoteworker.CurrentState_Executing_{Executing: x.latest}}
}

// stop cancels the action; it then completes with a CANCELLED status.
func (x *execution) stop() {
	if x != nil {
		x.cancel()
	}
}

// finishGrace bounds how long a stopping worker waits for a cancelled
// action to end and clean its slot directory.
const finishGrace = 30 * time.Second

// finish cancels the action and waits for it to wind down (the runner
// kills its processes, the slot is emptied), so a worker that stops does
// not leave a half-cleaned build directory behind.
func (x *execution) finish() {
	if x == nil {
		return
	}
	x.cancel()
	select {
	case <-x.done:
	case <-time.After(finishGrace):
		log.Printf("action %s did not end within %v of the worker stopping", x.actionDigest.GetHash(), finishGrace)
	}
}

func (x *execution) reportStage(stage Stage) {
	st := &remoteworker.CurrentState_Executing{ActionDigest: x.actionDigest}
	switch stage {
	case StageFetchingInputs:
		st.ExecutionState = &remoteworker.CurrentState_Executing_FetchingInputs{FetchingInputs: &emptypb.Empty{}}
	case StageRunning:
		st.ExecutionState = &remoteworker.CurrentState_Executing_Running{Running: &emptypb.Empty{}}
	case StageUploadingOutputs:
		st.ExecutionState = &remoteworker.CurrentState_Executing_UploadingOutputs{UploadingOutputs: &emptypb.Empty{}}
	}
	x.set(st)
}

func idleState() *remoteworker.CurrentState {
	return &remoteworker.CurrentState{WorkerState: &remoteworker.CurrentState_Idle{Idle: &emptypb.Empty{}}}
}

func isCompleted(st *remoteworker.CurrentState) bool {
	return st.GetExecuting().GetCompleted() != nil
}
