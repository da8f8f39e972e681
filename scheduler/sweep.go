package scheduler

import (
	"slices"
	"time"

	"google.golang.org/grpc/codes"
)

// sweep does the periodic housekeeping. It is the only place that looks
// at every worker and queue, and it runs on a timer, not per dispatch.
func (s *Scheduler) sweep() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireWorkers()
	s.failUnmatchable()
	s.expireCompleted()
	s.expireQueues()
}

// expireQueues drops queues that have been idle for CompletedRetention.
// Instance names and property values come from clients, so without this
// queues and their metric series would pile up for ever.
func (s *Scheduler) expireQueues() {
	now := s.clk.Now()
	for key, q := range s.queues {
		switch {
		case q.queued > 0 || q.executing > 0:
			q.emptySince = time.Time{}
		case q.emptySince.IsZero():
			q.emptySince = now
		case now.Sub(q.emptySince) >= s.cfg.CompletedRetention:
			for _, c := range q.classes {
				c.queues = slices.DeleteFunc(c.queues, func(x *platformQueue) bool { return x == q })
			}
			label := queueLabel(q.instance, q.props)
			s.metrics.queued.DeleteLabelValues(label)
			s.metrics.executing.DeleteLabelValues(label)
			delete(s.queues, key)
		}
	}
}

// expireWorkers declares lost the workers that neither synchronized
// within WorkerLostTimeout nor have a call open, and drops empty classes.
func (s *Scheduler) expireWorkers() {
	now := s.clk.Now()
	for _, w := range s.workers {
		if w.inCall == 0 && now.Sub(w.lastSeen) > s.cfg.WorkerLostTimeout {
			s.workerLost(w)
		}
	}
	removed := false
	for key, c := range s.classes {
		if c.workers == 0 {
			delete(s.classes, key)
			removed = true
		}
	}
	if removed {
		s.relinkAll()
	}
}

// failUnmatchable fails queued actions of queues that have had no
// eligible worker for a whole grace period (and the start-up grace period
// is over), so that such actions never wait forever.
func (s *Scheduler) failUnmatchable() {
	now := s.clk.Now()
	if now.Sub(s.started) < s.cfg.StartupGracePeriod {
		return
	}
	for _, q := range s.queues {
		if q.queued == 0 || len(q.classes) > 0 || now.Sub(q.noWorkersSince) < s.cfg.StartupGracePeriod {
			continue
		}
		reason := s.explainUnmatched(q.instance, q.props)
		for op := q.pop(); op != nil; op = q.pop() {
			// pop already accounted for the queue slot; complete must not
			// count it again.
			op.stage = 0
			s.fail(op, codes.FailedPrecondition, "action %s cannot run: %s", op.digest, reason)
		}
	}
}

// expireCompleted forgets finished operations after CompletedRetention.
func (s *Scheduler) expireCompleted() {
	now := s.clk.Now()
	for s.completed.len() > 0 {
		op := s.completed.peek()
		if now.Sub(op.completedAt) < s.cfg.CompletedRetention {
			return
		}
		s.completed.pop()
		for _, n := range op.names {
			if s.ops[n.name] == op {
				delete(s.ops, n.name)
			}
		}
	}
}
