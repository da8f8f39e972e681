package scheduler

import (
	"slices"
	"time"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	logstreampb "github.com/bazelbuild/remote-apis/build/bazel/remote/logstream/v1"

	"github.com/sandbarn/sandbarn/storage/digest"
)

// operation is one execution, shared by every client whose identical
// Execute was merged into it. Fields are guarded by Scheduler.mu.
type operation struct {
	name string // the first of names
	// names are what clients know the operation by: one for each Execute
	// merged into it, so that one client cancelling stops only its own
	// wait while others still want the result.
	names []opName
	// cancelled holds the outcome each client that cancelled sees; the
	// action runs on while a name remains uncancelled.
	cancelled map[string]outcome
	mergeKey  string // "" when the action may not be merged (do_not_cache)
	instance  string
	digest    digest.Digest
	// digestProto is digest as a message, shared (read-only) by every
	// message about the operation.
	digestProto *remoteexecution.Digest
	// action is what the worker receives: the client's Action with platform
	// and timeout filled in.
	action     *remoteexecution.Action
	priority   int32
	invocation string // the invocation it is queued under for fairness
	queue      *platformQueue

	stage       remoteexecution.ExecutionStage_Value
	queuedAt    time.Time
	startedAt   time.Time
	completedAt time.Time
	worker      *worker
	lastWorker  string
	attempts    int
	crashes     int
	outcome     outcome // set when completed
	// stdoutLog and stderrLog are the live output streams of the latest
	// attempt, nil when the scheduler has no log stream store.
	stdoutLog, stderrLog *logstreampb.LogStream

	// changed is closed and replaced at every change, waking every stream
	// waiting on the operation without per-operation polling.
	changed chan struct{}
}

func (op *operation) notify() {
	if op.changed == closedChannel {
		return // completed: nothing changes any more
	}
	close(op.changed)
	if op.done() {
		// Every later wait returns at once, and the many completed
		// operations kept for CompletedRetention share one channel.
		op.changed = closedChannel
		return
	}
	op.changed = make(chan struct{})
}

// closedChannel is the change channel of every completed operation.
var closedChannel = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

func (op *operation) done() bool {
	return op.stage == remoteexecution.ExecutionStage_COMPLETED
}

// invocations lists, once each, the invocations whose Executes asked for
// the operation.
func (op *operation) invocations() []string {
	var out []string
	for _, n := range op.names {
		if !slices.Contains(out, n.invocation) {
			out = append(out, n.invocation)
		}
	}
	return out
}

// snapshot is an operation's state copied out under the lock, so that
// messages are built without holding it.
type snapshot struct {
	name        string
	digest      digest.Digest
	digestProto *remoteexecution.Digest
	stage       remoteexecution.ExecutionStage_Value
	response    []byte // the marshalled ExecuteResponse, when completed
	// stdoutName and stderrName are the log stream read names.
	stdoutName, stderrName string
	changed                chan struct{}
}

// snapshot is the operation as the client knowing it by name sees it.
func (op *operation) snapshot(name string) snapshot {
	snap := snapshot{name: name, digest: op.digest, digestProto: op.digestProto, stage: op.stage, response: op.outcome.response, changed: op.changed,
		stdoutName: op.stdoutLog.GetName(), stderrName: op.stderrLog.GetName()}
	if out, ok := op.cancelled[name]; ok {
		snap.stage, snap.response, snap.changed = remoteexecution.ExecutionStage_COMPLETED, out.response, closedChannel
	}
	return snap
}

// opName is one client's name for an operation, with the invocation that
// Execute came from: ListOperations shows a caller only its own.
type opName struct {
	name, invocation string
}

// invocationOf returns the invocation that got the operation under name.
func (op *operation) invocationOf(name string) (string, bool) {
	for _, n := range op.names {
		if n.name == name {
			return n.invocation, true
		}
	}
	return "", false
}

// waiting counts the names whose clients still want the result.
func (op *operation) waiting() int {
	return len(op.names) - len(op.cancelled)
}

// info describes the operation for the admin API.
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
