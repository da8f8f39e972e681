package scheduler

import (
	"sort"
	"time"
)

// workerRegistry knows every worker slot by its worker_id and the drains
// that keep some of them from new work. Which class a worker belongs to,
// and so which queues it serves, is the router's business. Guarded by
// Scheduler.mu.
type workerRegistry struct {
	metrics *metrics
	byKey   map[string]*worker
	drains  drainSet
}

func newWorkerRegistry(m *metrics) *workerRegistry {
	return &workerRegistry{metrics: m, byKey: map[string]*worker{}, drains: drainSet{}}
}

// register returns the worker with the given key (workerKey of labels),
// adding it on first sight. The key is a byte slice so that a known
// worker is found without allocating.
func (r *workerRegistry) register(key []byte, labels map[string]string) *worker {
	w, ok := r.byKey[string(key)]
	if !ok {
		w = &worker{key: string(key), labels: labels}
		r.byKey[w.key] = w
		r.metrics.workers.Inc()
	}
	return w
}

// remove forgets a worker; the caller has taken it out of its class.
func (r *workerRegistry) remove(w *worker) {
	delete(r.byKey, w.key)
	r.metrics.workers.Dec()
}

// expired returns the workers that neither synchronized within timeout
// nor have a call open.
func (r *workerRegistry) expired(now time.Time, timeout time.Duration) []*worker {
	var out []*worker
	for _, w := range r.byKey {
		if w.inCall == 0 && now.Sub(w.lastSeen) > timeout {
			out = append(out, w)
		}
	}
	return out
}

// drain stops giving work to the workers matching pattern, now and when
// they synchronize later; a long-polling one is answered idle at once.
func (r *workerRegistry) drain(pattern map[string]string) {
	r.drains.add(pattern)
	for _, w := range r.byKey {
		if !matchesPattern(w.labels, pattern) {
			continue
		}
		w.drained = true
		if w.waitElem != nil {
			w.release(nil)
		}
	}
}

// infos describes the worker slots for the admin API, by key.
func (r *workerRegistry) infos() []WorkerInfo {
	out := make([]WorkerInfo, 0, len(r.byKey))
	for _, w := range r.byKey {
		out = append(out, w.info())
	}
	sort.Slice(out, func(i, j int) bool { return workerKey(out[i].ID) < workerKey(out[j].ID) })
	return out
}
