package scheduler

import (
	"slices"
	"sort"
	"time"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"

	"github.com/sandbarn/sandbarn/errkind"
)

// operationTable holds every operation under the names clients know it
// by, the unfinished ones under their merge key (so that identical
// Executes share one execution), and the finished ones in completion
// order until CompletedRetention passes. Its lifecycle methods (in
// lifecycle.go) move operations through their stages. Guarded by
// Scheduler.mu: every method is called with it held.
type operationTable struct {
	ids     IDGenerator
	clk     Clock
	metrics *metrics
	logs    logStreams

	byName    map[string]*operation // including finished ones kept for retention
	inFlight  map[string]*operation // by merge key, unfinished only
	completed fifo[*operation]      // finished operations in completion order
}

func newOperationTable(ids IDGenerator, clk Clock, m *metrics) *operationTable {
	return &operationTable{ids: ids, clk: clk, metrics: m, byName: map[string]*operation{}, inFlight: map[string]*operation{}}
}

// add names and registers an operation; the caller queues or completes
// it.
func (t *operationTable) add(op *operation) {
	op.name = t.ids.NewID()
	op.names = []opName{{name: op.name, invocation: op.invocation}}
	op.digestProto = op.digest.Proto()
	op.changed = make(chan struct{})
	t.byName[op.name] = op
	if op.mergeKey != "" {
		t.inFlight[op.mergeKey] = op
	}
}

// addCached registers an operation answered from the Action Cache: it
// is completed from the start and never queued.
func (t *operationTable) addCached(a *admission, out outcome) *operation {
	op := &operation{digest: a.digest, instance: a.digest.Instance, invocation: a.invocation, queuedAt: t.clk.Now()}
	t.add(op)
	op.completedAt = op.queuedAt
	op.stage = remoteexecution.ExecutionStage_COMPLETED
	op.outcome = out
	op.changed = closedChannel
	t.completed.push(op)
	t.metrics.cacheHits.Inc()
	return op
}

// join attaches a client of the given invocation to the unfinished
// operation with the same merge key, under a name of its own. It reports
// false when there is none ("" never merges: do_not_cache actions).
func (t *operationTable) join(mergeKey, invocation string) (*operation, string, bool) {
	op := t.inFlight[mergeKey]
	if mergeKey == "" || op == nil {
		return nil, "", false
	}
	t.metrics.merges.Inc()
	name := t.ids.NewID()
	op.names = append(op.names, opName{name: name, invocation: invocation})
	t.byName[name] = op
	return op, name, true
}

// get returns the operation a client knows by name.
func (t *operationTable) get(name string) (*operation, bool) {
	op, ok := t.byName[name]
	return op, ok
}

// snapshot copies the state of the operation known by name, or returns
// NotFound.
func (t *operationTable) snapshot(name string) (snapshot, error) {
	op, ok := t.byName[name]
	if !ok {
		return snapshot{}, errkind.New(errkind.NotFound, "operation %q not found", name)
	}
	return op.snapshot(name), nil
}

// page returns, sorted by name, up to size of the names the invocation
// got that sort after after, and the token of the next page ("" when
// this is the last).
func (t *operationTable) page(invocation, after string, size int) ([]snapshot, string) {
	var names []string
	for name, op := range t.byName {
		if inv, _ := op.invocationOf(name); inv == invocation && name > after {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	next := ""
	if len(names) > size {
		names = names[:size]
		next = names[size-1]
	}
	snaps := make([]snapshot, len(names))
	for i, name := range names {
		snaps[i] = t.byName[name].snapshot(name)
	}
	return snaps, next
}

// infos describes the operations, optionally only those of one
// invocation and/or in one stage, oldest first.
func (t *operationTable) infos(invocation, stage string) []OperationInfo {
	var out []OperationInfo
	for name, op := range t.byName {
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

// expire forgets the operations finished for retention or longer.
func (t *operationTable) expire(now time.Time, retention time.Duration) {
	for t.completed.len() > 0 {
		op := t.completed.peek()
		if now.Sub(op.completedAt) < retention {
			return
		}
		t.completed.pop()
		for _, n := range op.names {
			if t.byName[n.name] == op {
				delete(t.byName, n.name)
			}
		}
	}
}
