package scheduler

import (
	"context"

	"cloud.google.com/go/longrunning/autogen/longrunningpb"
	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"google.golang.org/grpc"

	"github.com/sandbarn/sandbarn/errkind"
)

// executionServer serves REAPI Execution on top of a Scheduler.
type executionServer struct {
	remoteexecution.UnimplementedExecutionServer
	s *Scheduler
}

// Execute validates and queues an action (or attaches to an identical one
// in flight) and streams its operation until it completes.
func (e executionServer) Execute(req *remoteexecution.ExecuteRequest, stream grpc.ServerStreamingServer[longrunningpb.Operation]) error {
	ctx := stream.Context()
	op, name, err := e.s.execute(ctx, req)
	if err != nil {
		return err
	}
	return e.stream(ctx, op, name, stream.Send)
}

// WaitExecution streams an existing operation until it completes.
func (e executionServer) WaitExecution(req *remoteexecution.WaitExecutionRequest, stream grpc.ServerStreamingServer[longrunningpb.Operation]) error {
	e.s.mu.Lock()
	op, ok := e.s.ops.get(req.Name)
	e.s.mu.Unlock()
	if !ok {
		return errkind.New(errkind.NotFound, "operation %q not found", req.Name)
	}
	return e.stream(stream.Context(), op, req.Name, stream.Send)
}

// stream sends op's state now, at every stage it passes (including ones
// it went through between two wake-ups), and at least every
// KeepAliveInterval, until it completes.
func (e executionServer) stream(ctx context.Context, op *operation, name string, send func(*longrunningpb.Operation) error) error {
	s := e.s
	sent := remoteexecution.ExecutionStage_UNKNOWN
	for {
		s.mu.Lock()
		snap := op.snapshot(name)
		s.mu.Unlock()
		if sent != remoteexecution.ExecutionStage_UNKNOWN {
			for st := max(sent+1, remoteexecution.ExecutionStage_QUEUED); st < snap.stage; st++ {
				if err := send(operationMessage(snapshot{name: snap.name, digest: snap.digest, digestProto: snap.digestProto, stage: st})); err != nil {
					return err
				}
			}
		}
		if err := send(operationMessage(snap)); err != nil {
			return err
		}
		sent = snap.stage
		if snap.stage == remoteexecution.ExecutionStage_COMPLETED {
			return nil
		}
		c, stop := s.clk.NewTimer(s.cfg.KeepAliveInterval)
		select {
		case <-snap.changed:
		case <-c:
		case <-ctx.Done():
			stop()
			return ctx.Err()
		}
		stop()
	}
}

// execute admits the request and answers it from the Action Cache, from
// an identical operation in flight, or with a newly queued operation. It
// returns the operation and the name this caller knows it by (see
// operation.names).
func (s *Scheduler) execute(ctx context.Context, req *remoteexecution.ExecuteRequest) (*operation, string, error) {
	a, err := s.admit.admit(ctx, req)
	if err != nil {
		return nil, "", err
	}
	if !req.SkipCacheLookup && !a.doNotCache {
		if out, ok := s.admit.cachedResult(ctx, a); ok {
			s.mu.Lock()
			defer s.mu.Unlock()
			op := s.ops.addCached(a, out)
			return op, op.name, nil
		}
	}
	return s.queueAction(a)
}

// queueAction merges a into an identical operation in flight, under a
// name of its own, or queues a new one.
func (s *Scheduler) queueAction(a *admission) (*operation, string, error) {
	var keyBuf [256]byte
	props, queueKey := s.cfg.routingProperties(a.digest.Instance, a.action.Platform, keyBuf[:0])
	mergeKey := a.mergeKey()
	s.mu.Lock()
	defer s.mu.Unlock()
	if op, name, ok := s.ops.join(mergeKey, a.invocation); ok {
		return op, name, nil
	}
	now := s.clk.Now()
	q := s.router.queueFor(a.digest.Instance, props, queueKey, s.inStartupGrace(now))
	if q == nil {
		return nil, "", errkind.New(errkind.Precondition, "action %s cannot run: %s", a.digest, s.router.explainUnmatched(a.digest.Instance, props))
	}
	op := &operation{mergeKey: mergeKey, instance: a.digest.Instance, digest: a.digest, action: a.action,
		priority: a.priority, invocation: a.invocation, queue: q, queuedAt: now}
	s.ops.add(op)
	s.router.enqueue(op)
	return op, op.name, nil
}
