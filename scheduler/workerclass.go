package scheduler

import (
	"container/list"
	"slices"

	"github.com/sandbarn/sandbarn/platform"
)

// workerClass groups workers with the same instance name prefix and
// platform; they can all take from the same queues. Guarded by
// Scheduler.mu.
type workerClass struct {
	key      string
	prefix   string
	platform platform.Offer
	queues   []*platformQueue // kept by the router
	waiting  *list.List       // of *worker, long-polling and not drained
	workers  int
}

func newWorkerClass(key, prefix string, platform platform.Offer) *workerClass {
	return &workerClass{key: key, prefix: prefix, platform: platform, waiting: list.New()}
}

// next takes the best queued operation among the class's queues: lowest
// priority value, then longest waiting. Each queue keeps its own order
// (see platformQueue); this only compares their heads.
func (c *workerClass) next() *operation {
	var best *platformQueue
	var bestOp *operation
	for _, q := range c.queues {
		op := q.peek()
		if op == nil {
			continue
		}
		if bestOp == nil || op.priority < bestOp.priority ||
			(op.priority == bestOp.priority && op.queuedAt.Before(bestOp.queuedAt)) {
			best, bestOp = q, op
		}
	}
	if best == nil {
		return nil
	}
	return best.pop()
}

// firstWaiting returns the worker that has long-polled longest, or nil.
func (c *workerClass) firstWaiting() *worker {
	if e := c.waiting.Front(); e != nil {
		return e.Value.(*worker)
	}
	return nil
}

// dropQueue forgets a queue that is being expired.
func (c *workerClass) dropQueue(q *platformQueue) {
	c.queues = slices.DeleteFunc(c.queues, func(x *platformQueue) bool { return x == q })
}
