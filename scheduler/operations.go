package scheduler

import (
	"context"

	"cloud.google.com/go/longrunning/autogen/longrunningpb"
	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/sandbarn/sandbarn/errkind"
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
	snap, err := o.snapshot(req.Name)
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
		return nil, errkind.New(errkind.Invalid, "filters are not supported; list without one")
	}
	size := int(req.PageSize)
	if size <= 0 || size > maxOperationsPage {
		size = maxOperationsPage
	}
	o.s.mu.Lock()
	snaps, next := o.s.ops.page(invocationOf(ctx), req.PageToken, size)
	o.s.mu.Unlock()
	resp := &longrunningpb.ListOperationsResponse{NextPageToken: next}
	for _, snap := range snaps {
		resp.Operations = append(resp.Operations, operationMessage(snap))
	}
	return resp, nil
}

// DeleteOperation is not offered: finished operations expire on their
// own, and an unfinished one is stopped with CancelOperation.
func (o operationsServer) DeleteOperation(context.Context, *longrunningpb.DeleteOperationRequest) (*emptypb.Empty, error) {
	return nil, errkind.New(errkind.Unimplemented, "operations expire by themselves; use CancelOperation to stop one")
}

// CancelOperation completes the named operation with CANCELLED at once.
// Unless other clients' identical Executes were merged into it, the worker
// running it is told to kill the action at its next synchronization.
// Cancelling a finished operation does nothing.
func (o operationsServer) CancelOperation(_ context.Context, req *longrunningpb.CancelOperationRequest) (*emptypb.Empty, error) {
	if !o.s.Cancel(req.Name, "cancelled by a client") {
		if _, err := o.snapshot(req.Name); err != nil {
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
		snap, err := o.snapshot(req.Name)
		if err != nil || snap.stage == remoteexecution.ExecutionStage_COMPLETED {
			return operationMessageOrNil(snap, err)
		}
		select {
		case <-snap.changed:
		case <-timer:
			return operationMessage(snap), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func operationMessageOrNil(snap snapshot, err error) (*longrunningpb.Operation, error) {
	if err != nil {
		return nil, err
	}
	return operationMessage(snap), nil
}

// snapshot copies the state of the operation known by name.
func (o operationsServer) snapshot(name string) (snapshot, error) {
	o.s.mu.Lock()
	defer o.s.mu.Unlock()
	return o.s.ops.snapshot(name)
}

// Cancel ends the wait of the client knowing the operation by name: it
// sees the operation complete with CANCELLED and the given reason. When no
// other client waits for it, the operation itself is cancelled, and the
// worker running it is told to stop at its next synchronization. It
// reports whether the name existed and was unfinished.
func (s *Scheduler) Cancel(name, reason string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ops.cancel(name, reason)
}
