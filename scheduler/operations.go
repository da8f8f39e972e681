package scheduler

import (
	"context"
	"fmt"
	"sort"

	"cloud.google.com/go/longrunning/autogen/longrunningpb"
	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

// maxOperationsPage bounds one ListOperations answer.
const maxOperationsPage = 1000

// operationsServer serves google.longrunning.Operations for the operations
// that Execute returns: clients such as trexe cancel through it.
type operationsServer struct {
	longrunningpb.UnimplementedOperationsServer
	s *Scheduler
}

// GetOperation returns the operation's current state, as Execute streams
// it.
func (o operationsServer) GetOperation(_ context.Context, req *longrunningpb.GetOperationRequest) (*longrunningpb.Operation, error) {
	snap, err := o.s.snapshotOf(req.Name)
	if err != nil {
		return nil, err
	}
	return operationMessage(snap), nil
}

// ListOperations lists, by name, the operations the caller's invocation
// (RequestMetadata's tool_invocation_id, else correlated_invocations_id)
// started: a name lets its holder cancel, so one build does not see
// another's. Filters are not supported.
func (o operationsServer) ListOperations(ctx context.Context, req *longrunningpb.ListOperationsRequest) (*longrunningpb.ListOperationsResponse, error) {
	if req.Filter != "" {
		return nil, status.Error(codes.InvalidArgument, "filters are not supported; list without one")
	}
	size := int(req.PageSize)
	if size <= 0 || size > maxOperationsPage {
		size = maxOperationsPage
	}
	caller := invocationOf(ctx)
	o.s.mu.Lock()
	var names []string
	for name, op := range o.s.ops {
		if inv, _ := op.invocationOf(name); inv == caller && name > req.PageToken {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	resp := &longrunningpb.ListOperationsResponse{}
	if len(names) > size {
		names = names[:size]
		resp.NextPageToken = names[size-1]
	}
	snaps := make([]snapshot, len(names))
	for i, name := range names {
		snaps[i] = o.s.ops[name].snapshot(name)
	}
	o.s.mu.Unlock()
	for _, snap := range snaps {
		resp.Operations = append(resp.Operations, operationMessage(snap))
	}
	return resp, nil
}

// DeleteOperation is not offered: finished operations expire on their
// own, and an unfinished one is stopped with CancelOperation.
func (o operationsServer) DeleteOperation(context.Context, *longrunningpb.DeleteOperationRequest) (*emptypb.Empty, error) {
	return nil, status.Error(codes.Unimplemented, "operations expire by themselves; use CancelOperation to stop one")
}

// CancelOperation completes the named operation with CANCELLED at once.
// Unless other clients' identical Executes were merged into it, the worker
// running it is told to kill the action at its next synchronization.
// Cancelling a finished operation does nothing.
func (o operationsServer) CancelOperation(_ context.Context, req *longrunningpb.CancelOperationRequest) (*emptypb.Empty, error) {
	if !o.s.Cancel(req.Name, "cancelled by a client") {
		if _, err := o.s.snapshotOf(req.Name); err != nil {
			return nil, err
		}
	}
	return &emptypb.Empty{}, nil
}

// WaitOperation returns once the operation is done or the timeout (at most
// KeepAliveInterval, which is also the default) has passed.
func (o operationsServer) WaitOperation(ctx context.Context, req *longrunningpb.WaitOperationRequest) (*longrunningpb.Operation, error) {
	wait := o.s.cfg.KeepAliveInterval
	if t := req.Timeout; t != nil && t.AsDuration() > 0 && t.AsDuration() < wait {
		wait = t.AsDuration()
	}
	timer, stop := o.s.clk.NewTimer(wait)
	defer stop()
	for {
		snap, err := o.s.snapshotOf(req.Name)
		if err != nil || snap.stage == remoteexecution.ExecutionStage_COMPLETED {
			return operationMessageOrNil(snap, err)
		}
		select {
		case <-snap.changed:
		case <-timer:
			return operationMessage(snap), nil
		case <-ctx.Done():
			return nil, status.FromContextError(ctx.Err()).Err()
		}
	}
}

func operationMessageOrNil(snap snapshot, err error) (*longrunningpb.Operation, error) {
	if err != nil {
		return nil, err
	}
	return operationMessage(snap), nil
}

// snapshotOf copies a named operation's state.
func (s *Scheduler) snapshotOf(name string) (snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	op, ok := s.ops[name]
	if !ok {
		return snapshot{}, status.Errorf(codes.NotFound, "operation %q not found", name)
	}
	return op.snapshot(name), nil
}

// Cancel ends the wait of the client knowing the operation by name: it
// sees the operation complete with CANCELLED and the given reason. When no
// other client waits for it, the operation itself is cancelled (see
// kill). It reports whether the name existed and was unfinished.
func (s *Scheduler) Cancel(name, reason string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	op, ok := s.ops[name]
	if !ok || op.done() {
		return false
	}
	if _, gone := op.cancelled[name]; gone {
		return false
	}
	if op.waiting() == 1 {
		s.fail(op, codes.Canceled, "operation %s: %s", name, reason)
		return true
	}
	if op.cancelled == nil {
		op.cancelled = map[string]outcome{}
	}
	op.cancelled[name] = newOutcome(&remoteexecution.ExecuteResponse{Status: &rpcstatus.Status{
		Code: int32(codes.Canceled), Message: fmt.Sprintf("operation %s: %s; the action runs on for %d other client(s)", name, reason, op.waiting()-1)}})
	op.notify()
	return true
}

// kill completes an unfinished operation with CANCELLED for every client.
// Its worker, no longer holding it, is answered idle at its next
// synchronization, which makes the worker's slot cancel the running
// action. It reports whether the operation existed and was unfinished.
func (s *Scheduler) kill(name, reason string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	op, ok := s.ops[name]
	if !ok || op.done() {
		return false
	}
	s.fail(op, codes.Canceled, "operation %s: %s", name, reason)
	return true
}
