package scheduler

import (
	"time"

	"github.com/sandbarn/sandbarn/errkind"
)

// sweep does the periodic housekeeping. It is the only place that looks
// at every worker and queue, and it runs on a timer, not per dispatch.
func (s *Scheduler) sweep() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clk.Now()
	s.expireWorkers(now)
	s.failUnmatchable(now)
	s.ops.expire(now, s.cfg.CompletedRetention)
	s.queues.expireIdle(now, s.cfg.CompletedRetention)
}

// expireWorkers declares lost the workers that neither synchronized
// within WorkerLostTimeout nor have a call open, and drops empty classes.
func (s *Scheduler) expireWorkers(now time.Time) {
	for _, w := range s.workers.expired(now, s.cfg.WorkerLostTimeout) {
		s.workerLost(w)
	}
	s.router.dropEmptyClasses()
}

// workerLost forgets a worker that stopped synchronizing and requeues
// what it was running, or fails it after MaximumAttempts.
func (s *Scheduler) workerLost(w *worker) {
	s.workers.remove(w)
	w.leaveClass()
	op := w.op
	if op == nil {
		return
	}
	if op.attempts >= s.cfg.MaximumAttempts {
		s.ops.fail(op, errkind.New(errkind.Unavailable, "worker %s was lost while executing the action (no synchronization for %s); gave up after %d attempts",
			w.key, s.cfg.WorkerLostTimeout, op.attempts))
		return
	}
	s.requeue(op, "worker_lost")
}

// failUnmatchable fails queued actions of queues that have had no
// eligible worker for a whole grace period (and the start-up grace period
// is over), so that such actions never wait forever.
func (s *Scheduler) failUnmatchable(now time.Time) {
	if s.inStartupGrace(now) {
		return
	}
	for q := range s.queues.all() {
		if q.queued == 0 || len(q.classes) > 0 || now.Sub(q.noWorkersSince) < s.cfg.StartupGracePeriod {
			continue
		}
		reason := s.router.explainUnmatched(q.instance, q.props)
		for op := q.pop(); op != nil; op = q.pop() {
			// pop already accounted for the queue slot; complete must not
			// count it again.
			op.stage = 0
			s.ops.fail(op, errkind.New(errkind.Precondition, "action %s cannot run: %s", op.digest, reason))
		}
	}
}
