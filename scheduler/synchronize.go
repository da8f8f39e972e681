package scheduler

import (
	"context"
	"time"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/sandbarn/sandbarn/proto/remoteworker"
	"github.com/sandbarn/sandbarn/storage/digest"
)

// operationQueueServer serves the Buildbarn worker protocol on top of a
// Scheduler.
type operationQueueServer struct {
	remoteworker.UnimplementedOperationQueueServer
	s *Scheduler
}

// Synchronize records what a worker is doing and tells it what to do
// next. Idle workers are held until work arrives or
// IdleSynchronizeTimeout passes.
func (q operationQueueServer) Synchronize(ctx context.Context, req *remoteworker.SynchronizeRequest) (*remoteworker.SynchronizeResponse, error) {
	return q.s.synchronize(ctx, req)
}

// assignment is what a Synchronize call answers, copied out of the lock.
type assignment struct {
	op       *operation // nil: idle
	name     string
	digest   digest.Digest
	action   *remoteexecution.Action
	queuedAt time.Time
	suffix   string
	logs     *remoteworker.LogStreamWriteNames
	next     time.Time
}

func (s *Scheduler) synchronize(ctx context.Context, req *remoteworker.SynchronizeRequest) (*remoteworker.SynchronizeResponse, error) {
	if len(req.WorkerId) == 0 {
		return nil, status.Error(codes.InvalidArgument, "worker_id is empty; it must identify the worker slot")
	}
	if err := checkCurrentState(req.CurrentState); err != nil {
		return nil, err
	}
	// The keys are built on the stack; strings are made only for a new
	// worker or class.
	var keyBuf, classBuf [256]byte
	key := appendWorkerKey(keyBuf[:0], req.WorkerId)
	classKey := append(append(classBuf[:0], req.InstanceNamePrefix...), 0)
	classKey = appendPlatformKey(classKey, req.Platform)

	// A result is marshalled before taking the lock: it can be large.
	var done outcome
	if resp := req.CurrentState.GetExecuting().GetCompleted(); resp != nil {
		done = newOutcome(resp)
	}
	s.mu.Lock()
	w := s.workerFor(key, req.WorkerId, classKey, req.InstanceNamePrefix, req.Platform)
	w.inCall++
	a, wait := s.handleState(w, req.CurrentState, done, req.PreferBeingIdle)
	if wait && !req.PreferBeingIdle {
		a = s.waitForWork(ctx, w)
	}
	w.inCall--
	w.lastSeen = s.clk.Now()
	s.mu.Unlock()
	return a.response(), nil
}

func checkCurrentState(cs *remoteworker.CurrentState) error {
	if ex := cs.GetExecuting(); ex != nil && ex.ActionDigest == nil {
		return status.Error(codes.InvalidArgument, "current_state.executing has no action_digest")
	}
	return nil
}

// workerFor finds or registers the worker and keeps its class current.
func (s *Scheduler) workerFor(key []byte, labels map[string]string, classKey []byte, prefix string, platform *remoteexecution.Platform) *worker {
	w, ok := s.workers[string(key)]
	if !ok {
		w = &worker{key: string(key), labels: labels}
		s.workers[w.key] = w
		s.metrics.workers.Inc()
	}
	if w.waitElem != nil {
		// A second call while the first still waits: the worker has given
		// up on the first, so release it idle.
		w.class.waiting.Remove(w.waitElem)
		w.waitElem = nil
		w.wake <- nil
	}
	if w.class == nil || w.class.key != string(classKey) {
		if w.class != nil {
			s.leaveClass(w)
		}
		w.class = s.classFor(string(classKey), prefix, platform)
		w.class.workers++
	}
	w.lastSeen = s.clk.Now()
	w.drained = s.isDrained(w.labels)
	return w
}

// handleState applies the worker's report; done is its result, marshalled,
// when it reports one. It returns the answer, or wait=true when the worker
// is free and nothing is queued for it. A worker preferring to be idle (it
// is shutting down) gets no new work.
func (s *Scheduler) handleState(w *worker, cs *remoteworker.CurrentState, done outcome, preferIdle bool) (assignment, bool) {
	ex := cs.GetExecuting()
	switch {
	case ex == nil: // idle
		if w.op != nil {
			if a, ok := s.resendOrCrash(w); ok {
				return a, false
			}
		}
	case w.op != nil && sameDigest(w.op, ex.ActionDigest):
		if ex.GetCompleted() != nil {
			s.complete(w.op, done)
		} else {
			w.acked = true
			return s.executingAnswer(w), false
		}
	case ex.GetCompleted() != nil:
		// A result for an action the worker no longer holds here: a re-sent
		// completion whose answer was lost, accepted once already.
		if w.op != nil {
			if a, ok := s.resendOrCrash(w); ok {
				return a, false
			}
		}
	default:
		// Running something this scheduler did not give it (or killed):
		// answer idle so it stops, and put back what it was meant to run.
		if w.op != nil {
			s.requeue(w.op, "worker_busy_elsewhere")
		}
		return assignment{next: s.clk.Now()}, false
	}
	if !w.drained && !preferIdle {
		if op := s.nextFor(w); op != nil {
			s.assign(op, w)
			return s.executingAnswer(w), false
		}
	}
	return assignment{next: s.clk.Now()}, true
}

// resendOrCrash handles a worker that reports not running the operation
// it holds. If it never acknowledged the operation, the answer carrying it
// was probably lost, so it is offered again; otherwise the worker restarted
// and forgot it. Both count towards the crash-loop limit, so a worker dying
// before its first report cannot loop forever either.
func (s *Scheduler) resendOrCrash(w *worker) (assignment, bool) {
	if !w.acked && w.op.crashes+1 < s.cfg.CrashLoopLimit {
		w.op.crashes++
		return s.executingAnswer(w), true
	}
	s.workerCrashed(w)
	return assignment{}, false
}

func sameDigest(op *operation, d *remoteexecution.Digest) bool {
	return op.digest.Hash == d.GetHash() && op.digest.Size == d.GetSizeBytes()
}

func (s *Scheduler) executingAnswer(w *worker) assignment {
	suffix, _ := instanceSuffix(w.class.prefix, w.op.instance)
	op := w.op
	a := assignment{op: op, name: op.name, digest: op.digest, action: op.action, queuedAt: op.queuedAt,
		suffix: suffix, next: s.clk.Now().Add(s.cfg.ExecutingSynchronizeInterval)}
	if op.stdoutLog != nil {
		a.logs = &remoteworker.LogStreamWriteNames{
			StdoutWriteResourceName: op.stdoutLog.WriteResourceName,
			StderrWriteResourceName: op.stderrLog.WriteResourceName,
		}
	}
	return a
}

// waitForWork parks an idle worker until an operation is assigned to it,
// the long poll ends or the worker goes away. Called and returns with
// s.mu held.
func (s *Scheduler) waitForWork(ctx context.Context, w *worker) assignment {
	if w.drained {
		s.mu.Unlock()
		s.sleep(ctx, s.cfg.IdleSynchronizeTimeout)
		s.mu.Lock()
		return assignment{next: s.clk.Now()}
	}
	// Each wait has its own channel and list entry, so a value meant for
	// a superseded call of the same worker never reaches a newer one.
	wake := make(chan *operation, 1)
	w.wake = wake
	elem := w.class.waiting.PushBack(w)
	w.waitElem = elem
	s.mu.Unlock()
	c, stop := s.clk.NewTimer(s.cfg.IdleSynchronizeTimeout)
	var op *operation
	woken := false
	select {
	case op = <-wake:
		woken = true
	case <-c:
	case <-ctx.Done():
	}
	stop()
	s.mu.Lock()
	if !woken {
		if w.waitElem == elem {
			w.class.waiting.Remove(elem)
			w.waitElem = nil
		} else {
			// Someone took this wait off the list and is committed to
			// sending it a value.
			op = <-wake
		}
	}
	if op == nil || w.op != op || op.done() {
		return assignment{next: s.clk.Now()}
	}
	return s.executingAnswer(w)
}

func (s *Scheduler) sleep(ctx context.Context, d time.Duration) {
	c, stop := s.clk.NewTimer(d)
	defer stop()
	select {
	case <-c:
	case <-ctx.Done():
	}
}

// response renders the assignment for the worker.
func (a assignment) response() *remoteworker.SynchronizeResponse {
	resp := &remoteworker.SynchronizeResponse{NextSynchronizationAt: timestamppb.New(a.next)}
	if a.op == nil {
		resp.DesiredState = &remoteworker.DesiredState{
			WorkerState: &remoteworker.DesiredState_Idle{Idle: &emptypb.Empty{}},
		}
		return resp
	}
	ex := &remoteworker.DesiredState_Executing{
		ActionDigest:       a.op.digestProto,
		Action:             a.action,
		QueuedTimestamp:    timestamppb.New(a.queuedAt),
		InstanceNameSuffix: a.suffix,
		DigestFunction:     a.digest.Function,
	}
	if a.logs != nil {
		if logs, err := anypb.New(a.logs); err == nil {
			ex.AuxiliaryMetadata = append(ex.AuxiliaryMetadata, logs)
		}
	}
	resp.DesiredState = &remoteworker.DesiredState{WorkerState: &remoteworker.DesiredState_Executing_{Executing: ex}}
	return resp
}
