package scheduler

import (
	"fmt"

	"strings"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"

	"github.com/sandbarn/sandbarn/platform"
)

// eligibleClasses returns the worker classes that may run actions of the
// given instance and routing properties: those satisfying every property,
// narrowed to the longest matching instance name prefix.
func (s *Scheduler) eligibleClasses(instance string, props []platform.Requirement) []*workerClass {
	var out []*workerClass
	best := -1
	for _, c := range s.classes {
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

// linkQueue points q and its eligible classes at each other.
func (s *Scheduler) linkQueue(q *platformQueue) {
	had := len(q.classes) > 0
	q.classes = s.eligibleClasses(q.instance, q.props)
	for _, c := range q.classes {
		c.queues = append(c.queues, q)
	}
	if had && len(q.classes) == 0 {
		q.noWorkersSince = s.clk.Now()
	}
}

// relinkAll recomputes which classes serve which queues. It runs only
// when a class appears or disappears, never per dispatch, and then hands
// queued work to workers that became eligible.
func (s *Scheduler) relinkAll() {
	for _, c := range s.classes {
		c.queues = nil
	}
	for _, q := range s.queues {
		s.linkQueue(q)
	}
	for _, q := range s.queues {
		s.dispatchWaiting(q)
	}
}

// dispatchWaiting gives q's queued operations to its waiting workers.
func (s *Scheduler) dispatchWaiting(q *platformQueue) {
	for q.queued > 0 {
		var w *worker
		for _, c := range q.classes {
			if e := c.waiting.Front(); e != nil {
				w = e.Value.(*worker)
				c.waiting.Remove(e)
				w.waitElem = nil
				break
			}
		}
		if w == nil {
			return
		}
		op := q.pop()
		s.assign(op, w)
		w.wake <- op
	}
}

// explainUnmatched says why no worker can run an action, naming the first
// property no registered worker offers.
func (s *Scheduler) explainUnmatched(instance string, props []platform.Requirement) string {
	var candidates []*workerClass
	for _, c := range s.classes {
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

// classFor returns the class for a worker's prefix and platform, creating
// it (and relinking) on first sight.
func (s *Scheduler) classFor(key, prefix string, p *remoteexecution.Platform) *workerClass {
	if c, ok := s.classes[key]; ok {
		return c
	}
	c := newWorkerClass(key, prefix, platform.NewOffer(p))
	s.classes[key] = c
	s.relinkAll()
	return c
}

// queueFor returns the queue for an action, creating it when it has
// eligible workers or the caller allows it anyway. It returns nil when
// no worker can take the action and create is false.
func (s *Scheduler) queueFor(instance string, props []platform.Requirement, key []byte, allowUnmatched bool) *platformQueue {
	if q, ok := s.queues[string(key)]; ok {
		if len(q.classes) == 0 && !allowUnmatched {
			return nil
		}
		return q
	}
	q := newPlatformQueue(string(key), instance, props)
	q.classes = s.eligibleClasses(instance, props)
	if len(q.classes) == 0 {
		if !allowUnmatched {
			return nil
		}
		q.noWorkersSince = s.clk.Now()
	}
	for _, c := range q.classes {
		c.queues = append(c.queues, q)
	}
	label := queueLabel(instance, props)
	q.queuedGauge = s.metrics.queued.WithLabelValues(label)
	q.executingGauge = s.metrics.executing.WithLabelValues(label)
	s.queues[q.key] = q
	return q
}

// queueLabel is a readable name for a queue, used in metrics and the admin
// API.
func queueLabel(instance string, props []platform.Requirement) string {
	parts := make([]string, len(props))
	for i, p := range props {
		parts[i] = p.Name + "=" + p.Value
	}
	return fmt.Sprintf("%q{%s}", instance, strings.Join(parts, ","))
}
