package scheduler

import (
	"context"
	"fmt"
	"sync"
	"time"

	"cloud.google.com/go/longrunning/autogen/longrunningpb"
	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	"github.com/sandbarn/sandbarn/platform"
	"github.com/sandbarn/sandbarn/proto/remoteworker"
	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/logstream"
)

// Scheduler queues actions from clients and hands them to workers.
type Scheduler struct {
	cfg      Config
	cas, ac  storage.BlobAccess
	clk      Clock
	ids      IDGenerator
	registry *prometheus.Registry
	metrics  *metrics
	started  time.Time
	// logs, when set, gets a stdout and a stderr stream for every
	// dispatch, for clients to follow the action's output live.
	logs *logstream.Store

	mu        sync.Mutex
	ops       map[string]*operation // by name, including finished ones kept for retention
	inFlight  map[string]*operation // by merge key, unfinished only
	queues    map[string]*platformQueue
	classes   map[string]*workerClass
	workers   map[string]*worker
	drains    map[string]map[string]string // by workerKey of the pattern
	completed fifo[*operation]             // finished operations in completion order
}

// New returns a scheduler reading Actions and Commands from cas and
// looking results up in ac. Its metrics are registered on reg (a fresh
// registry when nil). Use it in bb_scheduler and in the single-process
// farm; call Run to start its housekeeping.
func New(cfg Config, cas, ac storage.BlobAccess, clk Clock, ids IDGenerator, reg *prometheus.Registry) (*Scheduler, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("register scheduler metrics: %w", err)
	}
	return &Scheduler{
		cfg: cfg, cas: cas, ac: ac, clk: clk, ids: ids, registry: reg, metrics: m, started: clk.Now(),
		ops:      map[string]*operation{},
		inFlight: map[string]*operation{},
		queues:   map[string]*platformQueue{},
		classes:  map[string]*workerClass{},
		workers:  map[string]*worker{},
		drains:   map[string]map[string]string{},
	}, nil
}

// UseLogStreams makes the scheduler create live output streams in store
// for every action it hands to a worker. Call it before serving; the
// ByteStream service that workers and clients reach must route log stream
// names to store (grpcservers.Options.ByteStreamRoutes).
func (s *Scheduler) UseLogStreams(store *logstream.Store) {
	s.logs = store
}

// Register adds both the client and the worker services to one server,
// for a single-process farm where both share a listener.
func (s *Scheduler) Register(srv *grpc.Server) {
	s.RegisterExecution(srv)
	s.RegisterOperationQueue(srv)
}

// RegisterExecution adds the REAPI Execution service for clients, with
// google.longrunning Operations next to it for cancelling and polling the
// operations it returns.
func (s *Scheduler) RegisterExecution(srv *grpc.Server) {
	remoteexecution.RegisterExecutionServer(srv, executionServer{s: s})
	longrunningpb.RegisterOperationsServer(srv, operationsServer{s: s})
}

// RegisterOperationQueue adds the worker protocol.
func (s *Scheduler) RegisterOperationQueue(srv *grpc.Server) {
	remoteworker.RegisterOperationQueueServer(srv, operationQueueServer{s: s})
}

// ExecutionCapabilities describes what the Execution service supports, for
// the Capabilities service.
func (s *Scheduler) ExecutionCapabilities() *remoteexecution.ExecutionCapabilities {
	var names []string
	for name, rule := range s.cfg.PropertyRules {
		if rule != platform.RuleRunner {
			names = append(names, name)
		}
	}
	return &remoteexecution.ExecutionCapabilities{
		DigestFunction:  remoteexecution.DigestFunction_SHA256,
		DigestFunctions: []remoteexecution.DigestFunction_Value{remoteexecution.DigestFunction_SHA256},
		ExecEnabled:     true,
		ExecutionPriorityCapabilities: &remoteexecution.PriorityCapabilities{
			Priorities: []*remoteexecution.PriorityCapabilities_PriorityRange{
				{MinPriority: s.cfg.PriorityMinimum, MaxPriority: s.cfg.PriorityMaximum},
			},
		},
		SupportedNodeProperties: names,
	}
}

// Run does the periodic housekeeping (lost workers, unmatchable queues,
// expiry of finished operations) until ctx ends.
func (s *Scheduler) Run(ctx context.Context) {
	for {
		c, stop := s.clk.NewTimer(s.cfg.SweepInterval)
		select {
		case <-ctx.Done():
			stop()
			return
		case <-c:
			s.sweep()
		}
	}
}

// newOperation registers an operation; the caller queues or completes it.
func (s *Scheduler) newOperation(op *operation) {
	op.name = s.ids.NewID()
	op.names = []opName{{name: op.name, invocation: op.invocation}}
	op.digestProto = op.digest.Proto()
	op.changed = make(chan struct{})
	s.ops[op.name] = op
	if op.mergeKey != "" {
		s.inFlight[op.mergeKey] = op
	}
}

// addName gives op one more name, for a client of the given invocation
// whose Execute was merged into it.
func (s *Scheduler) addName(op *operation, invocation string) string {
	name := s.ids.NewID()
	op.names = append(op.names, opName{name: name, invocation: invocation})
	s.ops[name] = op
	return name
}

// enqueue hands op to a waiting worker if one can take it, else queues it.
func (s *Scheduler) enqueue(op *operation) {
	q := op.queue
	op.stage = remoteexecution.ExecutionStage_QUEUED
	for _, c := range q.classes {
		if e := c.waiting.Front(); e != nil {
			w := e.Value.(*worker)
			c.waiting.Remove(e)
			w.waitElem = nil
			s.assign(op, w)
			w.wake <- op
			return
		}
	}
	q.push(op)
}

// assign makes w execute op.
func (s *Scheduler) assign(op *operation, w *worker) {
	now := s.clk.Now()
	s.metrics.queuedDuration.Observe(now.Sub(op.queuedAt).Seconds())
	s.metrics.dispatches.Inc()
	op.stage = remoteexecution.ExecutionStage_EXECUTING
	op.startedAt = now
	op.worker = w
	op.lastWorker = w.key
	op.attempts++
	op.queue.executing++
	op.queue.executingGauge.Inc()
	w.op = op
	w.acked = false
	s.createLogs(op)
	op.notify()
}

// createLogs gives op fresh output streams for this attempt; a requeued
// action starts writing from zero again.
func (s *Scheduler) createLogs(op *operation) {
	if s.logs == nil {
		return
	}
	op.stdoutLog = s.logs.Create(op.instance)
	op.stderrLog = s.logs.Create(op.instance)
}

// finishLogs ends op's output streams, so readers stop when the attempt
// does, whether or not the worker finished writing them.
func (s *Scheduler) finishLogs(op *operation) {
	if s.logs == nil || op.stdoutLog == nil {
		return
	}
	s.logs.Finish(op.stdoutLog.Name)
	s.logs.Finish(op.stderrLog.Name)
}

// nextFor takes the best queued operation among the queues w may serve:
// lowest priority value, then longest waiting.
func (s *Scheduler) nextFor(w *worker) *operation {
	var best *platformQueue
	var bestOp *operation
	for _, q := range w.class.queues {
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

// complete finishes op with the given outcome and wakes everyone waiting
// on it.
func (s *Scheduler) complete(op *operation, out outcome) {
	if op.done() {
		return
	}
	now := s.clk.Now()
	switch op.stage {
	case remoteexecution.ExecutionStage_QUEUED:
		op.queue.forgetQueued()
	case remoteexecution.ExecutionStage_EXECUTING:
		s.leaveExecuting(op)
		s.metrics.executingDuration.Observe(now.Sub(op.startedAt).Seconds())
	}
	op.stage = remoteexecution.ExecutionStage_COMPLETED
	op.outcome = out
	// Finished operations are kept for CompletedRetention; what only a
	// running one needs would add to the live heap.
	op.action = nil
	op.completedAt = now
	if op.mergeKey != "" && s.inFlight[op.mergeKey] == op {
		delete(s.inFlight, op.mergeKey)
	}
	op.mergeKey = ""
	s.completed.push(op)
	s.metrics.completed.WithLabelValues(out.code.String()).Inc()
	op.notify()
}

// fail finishes op with an error status.
func (s *Scheduler) fail(op *operation, code codes.Code, format string, args ...any) {
	s.complete(op, newOutcome(&remoteexecution.ExecuteResponse{
		Status: &status.Status{Code: int32(code), Message: fmt.Sprintf(format, args...)},
	}))
}

// leaveExecuting detaches an executing op from its worker.
func (s *Scheduler) leaveExecuting(op *operation) {
	op.queue.executing--
	op.queue.executingGauge.Dec()
	s.finishLogs(op)
	if w := op.worker; w != nil && w.op == op {
		w.op = nil
	}
	op.worker = nil
}

// requeue puts an executing op back in its queue after its worker failed
// it.
func (s *Scheduler) requeue(op *operation, reason string) {
	s.leaveExecuting(op)
	s.metrics.requeues.WithLabelValues(reason).Inc()
	s.enqueue(op)
	op.notify()
}

// workerLost handles a worker that stopped synchronizing.
func (s *Scheduler) workerLost(w *worker) {
	s.removeWorker(w)
	op := w.op
	if op == nil {
		return
	}
	if op.attempts >= s.cfg.MaximumAttempts {
		s.fail(op, codes.Unavailable, "worker %s was lost while executing the action (no synchronization for %s); gave up after %d attempts",
			w.key, s.cfg.WorkerLostTimeout, op.attempts)
		return
	}
	s.requeue(op, "worker_lost")
}

// workerCrashed handles a worker that came back idle while it was known
// to be executing: it restarted and forgot the action.
func (s *Scheduler) workerCrashed(w *worker) {
	op := w.op
	op.crashes++
	if op.crashes >= s.cfg.CrashLoopLimit {
		s.fail(op, codes.Internal, "action crashed its worker %d times (last: %s); not retrying", op.crashes, w.key)
		return
	}
	s.requeue(op, "worker_crashed")
}

func (s *Scheduler) removeWorker(w *worker) {
	delete(s.workers, w.key)
	s.leaveClass(w)
	s.metrics.workers.Dec()
}

func (s *Scheduler) leaveClass(w *worker) {
	c := w.class
	if w.waitElem != nil {
		c.waiting.Remove(w.waitElem)
		w.waitElem = nil
		w.wake <- nil
	}
	c.workers--
	w.class = nil
}
