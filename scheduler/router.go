package scheduler

import (
	"fmt"
	"strings"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"

	"github.com/sandbarn/sandbarn/platform"
)

// router decides which workers may run which actions, and hands queued
// actions to workers waiting for them. Workers with the same instance
// name prefix and platform form a class; each platform queue is linked to
// the classes eligible for it and each class to its queues, so that
// dispatching never scans all queues or workers. The links are recomputed
// only when a class or a queue appears or disappears. Guarded by
// Scheduler.mu.
type router struct {
	clk     Clock
	queues  *queueSet
	ops     *operationTable
	classes map[string]*workerClass
}

func newRouter(clk Clock, queues *queueSet, ops *operationTable) *router {
	return &router{clk: clk, queues: queues, ops: ops, classes: map[string]*workerClass{}}
}

// queueFor returns the queue for an action, creating it when it has
// eligible workers or allowUnmatched is set (during a grace period). It
// returns nil when no worker can take the action and allowUnmatched is
// false.
func (r *router) queueFor(instance string, props []platform.Requirement, key []byte, allowUnmatched bool) *platformQueue {
	if q := r.queues.get(key); q != nil {
		if len(q.classes) == 0 && !allowUnmatched {
			return nil
		}
		return q
	}
	classes := r.eligible(instance, props)
	if len(classes) == 0 && !allowUnmatched {
		return nil
	}
	q := r.queues.add(string(key), instance, props)
	q.classes = classes
	if len(classes) == 0 {
		q.noWorkersSince = r.clk.Now()
	}
	for _, c := range classes {
		c.queues = append(c.queues, q)
	}
	return q
}

// eligible returns the worker classes that may run actions of the given
// instance and routing properties: those satisfying every property,
// narrowed to the longest matching instance name prefix.
func (r *router) eligible(instance string, props []platform.Requirement) []*workerClass {
	var out []*workerClass
	best := -1
	for _, c := range r.classes {
		if _, ok := instanceSuffix(c.prefix, instance); !ok || !c.platform.SatisfiesAll(props) {
			continue
		}
		switch l := len(c.prefix); {
		case l > best:
			out, best = append(out[:0], c), l
		case l == best:
			out = append(out, c)
		}
	}
	return out
}

// place puts w in the class of its prefix and platform, creating the
// class on first sight.
func (r *router) place(w *worker, classKey []byte, prefix string, p *remoteexecution.Platform) {
	if w.class != nil && w.class.key == string(classKey) {
		return
	}
	if w.class != nil {
		w.leaveClass()
	}
	c, ok := r.classes[string(classKey)]
	if !ok {
		c = newWorkerClass(string(classKey), prefix, platform.NewOffer(p))
		r.classes[c.key] = c
		r.relink()
	}
	w.joinClass(c)
}

// dropEmptyClasses forgets the classes without workers, relinking the
// queues they served.
func (r *router) dropEmptyClasses() {
	removed := false
	for key, c := range r.classes {
		if c.workers == 0 {
			delete(r.classes, key)
			removed = true
		}
	}
	if removed {
		r.relink()
	}
}

// relink recomputes which classes serve which queues, then hands queued
// work to the workers that became eligible. It runs only when a class
// appears or disappears, never per dispatch.
func (r *router) relink() {
	for _, c := range r.classes {
		c.queues = nil
	}
	for q := range r.queues.all() {
		had := len(q.classes) > 0
		q.classes = r.eligible(q.instance, q.props)
		for _, c := range q.classes {
			c.queues = append(c.queues, q)
		}
		if had && len(q.classes) == 0 {
			q.noWorkersSince = r.clk.Now()
		}
	}
	for q := range r.queues.all() {
		r.dispatchWaiting(q)
	}
}

// enqueue hands op to a worker waiting for its queue if there is one,
// else queues it.
func (r *router) enqueue(op *operation) {
	op.stage = remoteexecution.ExecutionStage_QUEUED
	if w := waitingWorker(op.queue); w != nil {
		r.ops.start(op, w)
		w.release(op)
		return
	}
	op.queue.push(op)
}

// dispatchWaiting gives q's queued operations to its waiting workers.
func (r *router) dispatchWaiting(q *platformQueue) {
	for q.queued > 0 {
		w := waitingWorker(q)
		if w == nil {
			return
		}
		op := q.pop()
		r.ops.start(op, w)
		w.release(op)
	}
}

// explainUnmatched says why no worker can run an action, naming the first
// property no registered worker offers.
func (r *router) explainUnmatched(instance string, props []platform.Requirement) string {
	var candidates []*workerClass
	for _, c := range r.classes {
		if _, ok := instanceSuffix(c.prefix, instance); ok {
			candidates = append(candidates, c)
		}
	}
	if len(candidates) == 0 {
		return fmt.Sprintf("no worker serves instance name %q", instance)
	}
	for _, p := range props {
		offered := false
		for _, c := range candidates {
			offered = offered || c.platform.Satisfies(p)
		}
		if !offered {
			return fmt.Sprintf("no worker offers platform property %s (matching rule %s)", p, p.Rule)
		}
	}
	parts := make([]string, len(props))
	for i, p := range props {
		parts[i] = p.String()
	}
	return fmt.Sprintf("no single worker offers all of the platform properties %s", strings.Join(parts, ", "))
}

// waitingWorker returns a worker long-polling for work from q, or nil.
func waitingWorker(q *platformQueue) *worker {
	for _, c := range q.classes {
		if w := c.firstWaiting(); w != nil {
			return w
		}
	}
	return nil
}
