package scheduler

import (
	"slices"
	"time"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sandbarn/sandbarn/platform"
)

// platformQueue holds the queued actions of one instance name and set of
// routing properties. Order: lowest priority value first; within a
// priority, invocations take turns (round robin), and each invocation's
// actions run in arrival order. Guarded by Scheduler.mu.
//
// Removal is lazy: an operation that leaves the QUEUED stage by other means
// (kill, failure) stays in its invocation's FIFO and is skipped when
// reached; queued counts only live entries.
type platformQueue struct {
	key      string
	instance string
	props    []platform.Requirement

	levels     map[int32]*priorityLevel
	priorities []int32 // ascending; every level present in levels
	queued     int
	executing  int

	// classes are the worker classes allowed to take from this queue: those
	// matching its properties with the longest instance name prefix.
	classes        []*workerClass
	noWorkersSince time.Time
	// emptySince is when the queue last became idle (nothing queued or
	// executing); zero while it is in use.
	emptySince time.Time

	queuedGauge, executingGauge prometheus.Gauge
}

type priorityLevel struct {
	ring fifo[*invocationQueue]
	byID map[string]*invocationQueue
}

type invocationQueue struct {
	id  string
	ops fifo[*operation]
}

func newPlatformQueue(key, instance string, props []platform.Requirement) *platformQueue {
	return &platformQueue{key: key, instance: instance, props: props, levels: map[int32]*priorityLevel{}}
}

func (q *platformQueue) push(op *operation) {
	lvl, ok := q.levels[op.priority]
	if !ok {
		lvl = &priorityLevel{byID: map[string]*invocationQueue{}}
		q.levels[op.priority] = lvl
		i, _ := slices.BinarySearch(q.priorities, op.priority)
		q.priorities = slices.Insert(q.priorities, i, op.priority)
	}
	iq, ok := lvl.byID[op.invocation]
	if !ok {
		iq = &invocationQueue{id: op.invocation}
		lvl.byID[op.invocation] = iq
		lvl.ring.push(iq)
	}
	iq.ops.push(op)
	q.queued++
	q.queuedGauge.Inc()
}

// peek returns the operation pop would return, discarding dead entries on
// the way.
func (q *platformQueue) peek() *operation {
	for len(q.priorities) > 0 {
		p := q.priorities[0]
		lvl := q.levels[p]
		for lvl.ring.len() > 0 {
			iq := lvl.ring.peek()
			for iq.ops.len() > 0 && iq.ops.peek().stage != remoteexecution.ExecutionStage_QUEUED {
				iq.ops.pop()
			}
			if iq.ops.len() > 0 {
				return iq.ops.peek()
			}
			lvl.ring.pop()
			delete(lvl.byID, iq.id)
		}
		delete(q.levels, p)
		q.priorities = slices.Delete(q.priorities, 0, 1)
	}
	return nil
}

// pop removes the next operation and sends its invocation to the back of
// the round.
func (q *platformQueue) pop() *operation {
	op := q.peek()
	if op == nil {
		return nil
	}
	lvl := q.levels[q.priorities[0]]
	iq := lvl.ring.pop()
	iq.ops.pop()
	if iq.ops.len() > 0 {
		lvl.ring.push(iq)
	} else {
		delete(lvl.byID, iq.id)
	}
	q.queued--
	q.queuedGauge.Dec()
	return op
}

// forgetQueued accounts for a queued operation that left by other means
// than pop.
func (q *platformQueue) forgetQueued() {
	q.queued--
	q.queuedGauge.Dec()
}

// info describes the queue for the admin API.
func (q *platformQueue) info() QueueInfo {
	info := QueueInfo{Name: queueLabel(q.instance, q.props), Instance: q.instance, Properties: map[string]string{},
		Queued: q.queued, Executing: q.executing}
	for _, p := range q.props {
		info.Properties[p.Name] = p.Value
	}
	for _, c := range q.classes {
		info.Workers += c.workers
	}
	return info
}
