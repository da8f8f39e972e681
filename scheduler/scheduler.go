package scheduler

import (
	"context"
	"fmt"
	"sync"
	"time"

	"cloud.google.com/go/longrunning/autogen/longrunningpb"
	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"

	"github.com/sandbarn/sandbarn/platform"
	"github.com/sandbarn/sandbarn/proto/remoteworker"
	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/logstream"
)

// Scheduler queues actions from clients and hands them to workers. It
// composes the parts that own the scheduler's state, all guarded by its
// one mutex: the operations table (operations by name and merge key, their
// stages, retention), the platform queues (priorities and per-invocation
// fairness), the router (worker classes, eligibility, dispatch to waiting
// workers) and the worker registry (worker slots and drains). The gRPC
// services (executionServer, operationsServer, operationQueueServer) and
// Admin work through those parts.
type Scheduler struct {
	cfg            Config
	clk            Clock
	metricRegistry *prometheus.Registry
	metrics        *metrics
	started        time.Time
	admit          admitter

	mu      sync.Mutex
	ops     *operationTable
	queues  *queueSet
	router  *router
	workers *workerRegistry
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
	s := &Scheduler{cfg: cfg, clk: clk, metricRegistry: reg, metrics: m, started: clk.Now(),
		ops: newOperationTable(ids, clk, m), queues: newQueueSet(m), workers: newWorkerRegistry(m)}
	s.admit = admitter{cfg: &s.cfg, cas: cas, ac: ac}
	s.router = newRouter(clk, s.queues, s.ops)
	return s, nil
}

// UseLogStreams makes the scheduler create live output streams in store
// for every action it hands to a worker. Call it before serving; the
// ByteStream service that workers and clients reach must route log stream
// names to store (grpcservers.Options.ByteStreamRoutes).
func (s *Scheduler) UseLogStreams(store *logstream.Store) {
	s.ops.logs = logStreams{store: store}
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

// requeue puts an executing op back in its queue after its worker failed
// it.
func (s *Scheduler) requeue(op *operation, reason string) {
	s.ops.stop(op)
	s.metrics.requeues.WithLabelValues(reason).Inc()
	s.router.enqueue(op)
	op.notify()
}

// inStartupGrace reports whether the scheduler started less than
// StartupGracePeriod ago, when actions may queue for workers that have
// not registered yet.
func (s *Scheduler) inStartupGrace(now time.Time) bool {
	return now.Sub(s.started) < s.cfg.StartupGracePeriod
}
