package scheduler

import (
	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"

	"github.com/sandbarn/sandbarn/errkind"
)

// The stage transitions of an operation after it is queued: start on a
// worker, stop (the worker let go of it), complete, and the cancellations
// that complete it early. Each wakes the streams waiting on the operation.

// start makes w execute op.
func (t *operationTable) start(op *operation, w *worker) {
	now := t.clk.Now()
	t.metrics.queuedDuration.Observe(now.Sub(op.queuedAt).Seconds())
	t.metrics.dispatches.Inc()
	op.stage = remoteexecution.ExecutionStage_EXECUTING
	op.startedAt = now
	op.worker = w
	op.lastWorker = w.key
	op.attempts++
	op.queue.executing++
	op.queue.executingGauge.Inc()
	w.op = op
	w.acked = false
	t.logs.create(op)
	op.notify()
}

// stop detaches an executing op from its worker; the caller requeues or
// completes it.
func (t *operationTable) stop(op *operation) {
	op.queue.executing--
	op.queue.executingGauge.Dec()
	t.logs.finish(op)
	if w := op.worker; w != nil && w.op == op {
		w.op = nil
	}
	op.worker = nil
}

// complete finishes op with the given outcome and wakes everyone waiting
// on it.
func (t *operationTable) complete(op *operation, out outcome) {
	if op.done() {
		return
	}
	now := t.clk.Now()
	switch op.stage {
	case remoteexecution.ExecutionStage_QUEUED:
		op.queue.forgetQueued()
	case remoteexecution.ExecutionStage_EXECUTING:
		t.stop(op)
		t.metrics.executingDuration.Observe(now.Sub(op.startedAt).Seconds())
	}
	op.stage = remoteexecution.ExecutionStage_COMPLETED
	op.outcome = out
	// Finished operations are kept for CompletedRetention; what only a
	// running one needs would add to the live heap.
	op.action = nil
	op.completedAt = now
	if op.mergeKey != "" && t.inFlight[op.mergeKey] == op {
		delete(t.inFlight, op.mergeKey)
	}
	op.mergeKey = ""
	t.completed.push(op)
	t.metrics.completed.WithLabelValues(out.code.String()).Inc()
	op.notify()
}

// fail finishes op with err as the ExecuteResponse's status.
func (t *operationTable) fail(op *operation, err error) {
	t.complete(op, newOutcome(&remoteexecution.ExecuteResponse{Status: errkind.Status(err).Proto()}))
}

// cancel ends the wait of the client knowing the operation by name: it
// sees the operation complete with CANCELLED and the given reason. When
// no other client waits for it, the operation itself is cancelled (see
// kill). It reports whether the name existed and was unfinished.
func (t *operationTable) cancel(name, reason string) bool {
	op, ok := t.byName[name]
	if !ok || op.done() {
		return false
	}
	if _, gone := op.cancelled[name]; gone {
		return false
	}
	if op.waiting() == 1 {
		t.fail(op, errkind.New(errkind.Canceled, "operation %s: %s", name, reason))
		return true
	}
	if op.cancelled == nil {
		op.cancelled = map[string]outcome{}
	}
	err := errkind.New(errkind.Canceled, "operation %s: %s; the action runs on for %d other client(s)", name, reason, op.waiting()-1)
	op.cancelled[name] = newOutcome(&remoteexecution.ExecuteResponse{Status: errkind.Status(err).Proto()})
	op.notify()
	return true
}

// kill completes an unfinished operation with CANCELLED for every client.
// Its worker, no longer holding it, is answered idle at its next
// synchronization, which makes the worker's slot cancel the running
// action. It reports whether the operation existed and was unfinished.
func (t *operationTable) kill(name, reason string) bool {
	op, ok := t.byName[name]
	if !ok || op.done() {
		return false
	}
	t.fail(op, errkind.New(errkind.Canceled, "operation %s: %s", name, reason))
	return true
}
