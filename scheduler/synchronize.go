package scheduler

import (
	"context"
	"time"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"

	"github.com/sandbarn/sandbarn/errkind"
	"github.com/sandbarn/sandbarn/proto/remoteworker"
)

// operationQueueServer serves the Buildbarn worker protocol on top of a
// Scheduler: it applies what a worker reports (progress, a result, a
// restart) and decides what the worker does next.
type operationQueueServer struct {
	remoteworker.UnimplementedOperationQueueServer
	s *Scheduler
}

// Synchronize records what a worker is doing and tells it what to do
// next. Idle workers are held until work arrives or
// IdleSynchronizeTimeout passes.
func (q operationQueueServer) Synchronize(ctx context.Context, req *remoteworker.SynchronizeRequest) (*remoteworker.SynchronizeResponse, error) {
	if len(req.WorkerId) == 0 {
		return nil, errkind.New(errkind.Invalid, "worker_id is empty; it must identify the worker slot")
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
	s := q.s
	s.mu.Lock()
	w := q.workerFor(key, req.WorkerId, classKey, req.InstanceNamePrefix, req.Platform)
	w.inCall++
	a, wait := q.handleState(w, req.CurrentState, done, req.PreferBeingIdle)
	if wait && !req.PreferBeingIdle {
		a = q.waitForWork(ctx, w)
	}
	w.inCall--
	w.lastSeen = s.clk.Now()
	s.mu.Unlock()
	return a.response(), nil
}

func checkCurrentState(cs *remoteworker.CurrentState) error {
	if ex := cs.GetExecuting(); ex != nil && ex.ActionDigest == nil {
		return errkind.New(errkind.Invalid, "current_state.executing has no action_digest")
	}
	return nil
}

// workerFor finds or registers the worker and keeps its class current.
func (q operationQueueServer) workerFor(key []byte, labels map[string]string, classKey []byte, prefix string, platform *remoteexecution.Platform) *worker {
	s := q.s
	w := s.workers.register(key, labels)
	if w.waitElem != nil {
		// A second call while the first still waits: the worker has given
		// up on the first, so release it idle.
		w.release(nil)
	}
	s.router.place(w, classKey, prefix, platform)
	w.lastSeen = s.clk.Now()
	w.drained = s.workers.drains.matches(w.labels)
	return w
}

// handleState applies the worker's report; done is its result, marshalled,
// when it reports one. It returns the answer, or wait=true when the worker
// is free and nothing is queued for it. A worker preferring to be idle (it
// is shutting down) gets no new work.
func (q operationQueueServer) handleState(w *worker, cs *remoteworker.CurrentState, done outcome, preferIdle bool) (assignment, bool) {
	s := q.s
	ex := cs.GetExecuting()
	switch {
	case ex == nil: // idle
		if w.op != nil {
			if a, ok := q.resendOrCrash(w); ok {
				return a, false
			}
		}
	case w.op != nil && sameDigest(w.op, ex.ActionDigest):
		if ex.GetCompleted() != nil {
			s.ops.complete(w.op, done)
		} else {
			w.acked = true
			return q.executingAnswer(w), false
		}
	case ex.GetCompleted() != nil:
		// A result for an action the worker no longer holds here: a re-sent
		// completion whose answer was lost, accepted once already.
		if w.op != nil {
			if a, ok := q.resendOrCrash(w); ok {
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
		if op := w.class.next(); op != nil {
			s.ops.start(op, w)
			return q.executingAnswer(w), false
		}
	}
	return assignment{next: s.clk.Now()}, true
}

// resendOrCrash handles a worker that reports not running the operation
// it holds. If it never acknowledged the operation, the answer carrying it
// was probably lost, so it is offered again; otherwise the worker restarted
// and forgot it. Both count towards the crash-loop limit, so a worker dying
// before its first report cannot loop forever either.
func (q operationQueueServer) resendOrCrash(w *worker) (assignment, bool) {
	if !w.acked && w.op.crashes+1 < q.s.cfg.CrashLoopLimit {
		w.op.crashes++
		return q.executingAnswer(w), true
	}
	q.crashed(w)
	return assignment{}, false
}

// crashed handles a worker that came back idle while it was known to be
// executing: it restarted and forgot the action.
func (q operationQueueServer) crashed(w *worker) {
	s := q.s
	op := w.op
	op.crashes++
	if op.crashes >= s.cfg.CrashLoopLimit {
		s.ops.fail(op, errkind.New(errkind.Internal, "action crashed its worker %d times (last: %s); not retrying", op.crashes, w.key))
		return
	}
	s.requeue(op, "worker_crashed")
}

func sameDigest(op *operation, d *remoteexecution.Digest) bool {
	return op.digest.Hash == d.GetHash() && op.digest.Size == d.GetSizeBytes()
}

func (q operationQueueServer) executingAnswer(w *worker) assignment {
	return newAssignment(w, q.s.clk.Now().Add(q.s.cfg.ExecutingSynchronizeInterval))
}

// waitForWork parks an idle worker until an operation is assigned to it,
// the long poll ends or the worker goes away. Called and returns with
// Scheduler.mu held.
func (q operationQueueServer) waitForWork(ctx context.Context, w *worker) assignment {
	s := q.s
	if w.drained {
		s.mu.Unlock()
		q.sleep(ctx, s.cfg.IdleSynchronizeTimeout)
		s.mu.Lock()
		return assignment{next: s.clk.Now()}
	}
	wake, elem := w.wait()
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
	return q.executingAnswer(w)
}

func (q operationQueueServer) sleep(ctx context.Context, d time.Duration) {
	c, stop := q.s.clk.NewTimer(d)
	defer stop()
	select {
	case <-c:
	case <-ctx.Done():
	}
}
