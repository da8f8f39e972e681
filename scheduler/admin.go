package scheduler

import "sync"

// Admin is the operator's view of a scheduler: its queues, operations and
// workers, killing operations and draining workers. Handler serves it
// over HTTP; use it directly to embed the same controls in a program.
type Admin struct {
	mu      *sync.Mutex
	ops     *operationTable
	queues  *queueSet
	workers *workerRegistry
}

// Admin returns the scheduler's admin API.
func (s *Scheduler) Admin() Admin {
	return Admin{mu: &s.mu, ops: s.ops, queues: s.queues, workers: s.workers}
}

// Queues lists the platform queues.
func (a Admin) Queues() []QueueInfo {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.queues.infos()
}

// Operations lists operations, optionally only those of one invocation
// and/or in one stage ("QUEUED", "EXECUTING", "COMPLETED").
func (a Admin) Operations(invocation, stage string) []OperationInfo {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.ops.infos(invocation, stage)
}

// Operation returns one operation by name.
func (a Admin) Operation(name string) (OperationInfo, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	op, ok := a.ops.get(name)
	if !ok {
		return OperationInfo{}, false
	}
	return op.info(), true
}

// Kill fails an unfinished operation with CANCELLED for every client
// waiting on it; a worker running it is told to stop at its next
// synchronization. It reports whether the operation existed and was
// unfinished.
func (a Admin) Kill(name string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.ops.kill(name, "killed through the admin API")
}

// Workers lists the known worker slots.
func (a Admin) Workers() []WorkerInfo {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.workers.infos()
}

// AddDrain stops giving work to workers whose labels include every label
// of pattern; they finish what they run.
func (a Admin) AddDrain(pattern map[string]string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.workers.drain(pattern)
}

// RemoveDrain removes a pattern added by AddDrain; matching workers get
// work again from their next synchronization. It reports whether the
// pattern existed.
func (a Admin) RemoveDrain(pattern map[string]string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.workers.drains.remove(pattern)
}

// Drains lists the drain patterns.
func (a Admin) Drains() []map[string]string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.workers.drains.list()
}
