package scheduler

import (
	"slices"
	"sort"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
)

// Queues lists the platform queues.
func (s *Scheduler) Queues() []QueueInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]QueueInfo, 0, len(s.queues))
	for _, q := range s.queues {
		info := QueueInfo{Name: queueLabel(q.instance, q.props), Instance: q.instance, Properties: map[string]string{},
			Queued: q.queued, Executing: q.executing}
		for _, p := range q.props {
			info.Properties[p.Name] = p.Value
		}
		for _, c := range q.classes {
			info.Workers += c.workers
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Operations lists operations, optionally only those of one invocation
// and/or in one stage ("QUEUED", "EXECUTING", "COMPLETED").
func (s *Scheduler) Operations(invocation, stage string) []OperationInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []OperationInfo
	for name, op := range s.ops {
		// A merged operation is listed once, not under each client's name.
		if name != op.name || stage != "" && op.stage.String() != stage {
			continue
		}
		if invocation != "" && !slices.Contains(op.invocations(), invocation) {
			continue
		}
		out = append(out, op.info())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].QueuedAt.Before(out[j].QueuedAt) })
	return out
}

// Operation returns one operation by name.
func (s *Scheduler) Operation(name string) (OperationInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	op, ok := s.ops[name]
	if !ok {
		return OperationInfo{}, false
	}
	return op.info(), true
}

// Kill fails an unfinished operation with CANCELLED; a worker running it
// is told to stop at its next synchronization. It reports whether the
// operation existed and was unfinished.
func (s *Scheduler) Kill(name string) bool {
	return s.kill(name, "killed through the admin API")
}

// Workers lists the known worker slots.
func (s *Scheduler) Workers() []WorkerInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]WorkerInfo, 0, len(s.workers))
	for _, w := range s.workers {
		info := WorkerInfo{ID: w.labels, InstancePrefix: w.class.prefix, Platform: w.class.platform,
			LastSeen: w.lastSeen, Drained: w.drained}
		if w.op != nil {
			info.Operation = w.op.name
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return workerKey(out[i].ID) < workerKey(out[j].ID) })
	return out
}

// AddDrain stops giving work to workers whose labels include every label
// of pattern; they finish what they run.
func (s *Scheduler) AddDrain(pattern map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drains[workerKey(pattern)] = pattern
	for _, w := range s.workers {
		if !matchesPattern(w.labels, pattern) {
			continue
		}
		w.drained = true
		if w.waitElem != nil {
			w.class.waiting.Remove(w.waitElem)
			w.waitElem = nil
			w.wake <- nil
		}
	}
}

// RemoveDrain removes a pattern added by AddDrain; matching workers get
// work again from their next synchronization. It reports whether the
// pattern existed.
func (s *Scheduler) RemoveDrain(pattern map[string]string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := workerKey(pattern)
	_, ok := s.drains[key]
	delete(s.drains, key)
	return ok
}

// Drains lists the drain patterns.
func (s *Scheduler) Drains() []map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]map[string]string, 0, len(s.drains))
	for _, p := range s.drains {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return workerKey(out[i]) < workerKey(out[j]) })
	return out
}

func (s *Scheduler) isDrained(labels map[string]string) bool {
	for _, p := range s.drains {
		if matchesPattern(labels, p) {
			return true
		}
	}
	return false
}

func (op *operation) info() OperationInfo {
	info := OperationInfo{
		Name: op.name, ActionDigest: op.digest.String(), Instance: op.instance, Stage: op.stage.String(),
		Priority: op.priority, Invocations: op.invocations(), Attempts: op.attempts, Crashes: op.crashes,
		QueuedAt: op.queuedAt, StartedAt: op.startedAt, CompletedAt: op.completedAt, Worker: op.lastWorker,
	}
	if op.queue != nil {
		info.Queue = queueLabel(op.queue.instance, op.queue.props)
	}
	if op.stage == remoteexecution.ExecutionStage_COMPLETED {
		info.Status = op.outcome.code.String()
		info.Message = op.outcome.message
		info.CachedResult = op.outcome.cached
	}
	return info
}
