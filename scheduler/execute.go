package scheduler

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"cloud.google.com/go/longrunning/autogen/longrunningpb"
	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
)

// requestMetadataKey is the header REAPI clients put RequestMetadata in.
const requestMetadataKey = "build.bazel.remote.execution.v2.requestmetadata-bin"

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
	return e.s.streamOperation(ctx, op, name, stream.Send)
}

// WaitExecution streams an existing operation until it completes.
func (e executionServer) WaitExecution(req *remoteexecution.WaitExecutionRequest, stream grpc.ServerStreamingServer[longrunningpb.Operation]) error {
	e.s.mu.Lock()
	op, ok := e.s.ops[req.Name]
	e.s.mu.Unlock()
	if !ok {
		return status.Errorf(codes.NotFound, "operation %q not found", req.Name)
	}
	return e.s.streamOperation(stream.Context(), op, req.Name, stream.Send)
}

// admission is an Execute request after validation, before queueing.
type admission struct {
	digest     digest.Digest
	action     *remoteexecution.Action
	command    *remoteexecution.Command
	priority   int32
	invocation string
	doNotCache bool
}

// execute admits and queues the request, and returns its operation and the
// name this caller knows it by (see operation.names).
func (s *Scheduler) execute(ctx context.Context, req *remoteexecution.ExecuteRequest) (*operation, string, error) {
	a, err := s.admit(ctx, req)
	if err != nil {
		return nil, "", err
	}
	if !req.SkipCacheLookup && !a.doNotCache {
		if op := s.cacheLookup(ctx, a); op != nil {
			return op, op.name, nil
		}
	}
	return s.queueAction(a)
}

// admit validates the request and reads the Action and Command.
func (s *Scheduler) admit(ctx context.Context, req *remoteexecution.ExecuteRequest) (*admission, error) {
	fn, err := digest.ResolveFunction(req.DigestFunction)
	if err != nil {
		return nil, err
	}
	ad, err := digest.FromProto(req.InstanceName, fn, req.ActionDigest)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "action digest: %s", status.Convert(err).Message())
	}
	action := &remoteexecution.Action{}
	if err := s.readMessage(ctx, ad, "action", action); err != nil {
		return nil, err
	}
	cd, err := digest.FromProto(req.InstanceName, fn, action.CommandDigest)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "action %s: command digest: %s", ad, status.Convert(err).Message())
	}
	rd, err := digest.FromProto(req.InstanceName, fn, action.InputRootDigest)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "action %s: input root digest: %s", ad, status.Convert(err).Message())
	}
	if err := s.checkPresent(ctx, cd, rd); err != nil {
		return nil, err
	}
	// The Command matters here only for its platform, which REAPI 2.0-2.1
	// clients put there instead of in the Action; newer clients spare us
	// reading and parsing it.
	command := &remoteexecution.Command{}
	if len(action.GetPlatform().GetProperties()) == 0 {
		if err := s.readMessage(ctx, cd, "command", command); err != nil {
			return nil, err
		}
	}
	workerAction, err := s.workerAction(action, command)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "action %s: %s", ad, err)
	}
	return &admission{
		digest: ad, action: workerAction, command: command,
		priority:   s.clampPriority(req.ExecutionPolicy.GetPriority()),
		invocation: invocationOf(ctx),
		doNotCache: action.DoNotCache,
	}, nil
}

// readMessage reads a message from the CAS, turning NotFound into the
// FAILED_PRECONDITION with a MISSING violation that makes clients upload.
func (s *Scheduler) readMessage(ctx context.Context, d digest.Digest, what string, m proto.Message) error {
	err := storage.GetProto(ctx, s.cas, d, s.cfg.MaximumMessageSize, m)
	switch status.Code(err) {
	case codes.OK:
		return nil
	case codes.NotFound:
		return storage.MissingBlobsError("blob", d)
	default:
		return status.Errorf(status.Code(err), "read %s %s: %s", what, d, status.Convert(err).Message())
	}
}

// checkPresent reports every missing digest at once. The empty blob (an
// empty input root) always counts as present: clients never upload it.
func (s *Scheduler) checkPresent(ctx context.Context, ds ...digest.Digest) error {
	ds = slices.DeleteFunc(ds, func(d digest.Digest) bool { return d.Size == 0 })
	if len(ds) == 0 {
		return nil
	}
	missing, err := s.cas.FindMissing(ctx, ds)
	if err != nil {
		return status.Errorf(status.Code(err), "find missing blobs: %s", status.Convert(err).Message())
	}
	if len(missing) > 0 {
		return storage.MissingBlobsError("blob", missing...)
	}
	return nil
}

// workerAction checks the timeout and returns the Action the worker gets:
// platform from Command.platform when the Action has none, timeout set.
// The client's message is copied only when something changes; the worker
// must not recompute the action digest from this message (it gets the
// client's digest).
func (s *Scheduler) workerAction(action *remoteexecution.Action, command *remoteexecution.Command) (*remoteexecution.Action, error) {
	if t := action.Timeout; t != nil {
		if err := t.CheckValid(); err != nil {
			return nil, fmt.Errorf("timeout: %w", err)
		}
		if d := t.AsDuration(); d < 0 || d > s.cfg.MaximumExecutionTimeout {
			return nil, fmt.Errorf("timeout %s is outside (0, %s]", d, s.cfg.MaximumExecutionTimeout)
		}
	}
	needPlatform := len(action.GetPlatform().GetProperties()) == 0 && len(command.GetPlatform().GetProperties()) > 0
	needTimeout := action.Timeout == nil || action.Timeout.AsDuration() == 0
	if !needPlatform && !needTimeout {
		return action, nil
	}
	// A new message sharing the client's submessages: cheaper than a deep
	// clone, and neither copy is modified afterwards.
	out := &remoteexecution.Action{
		CommandDigest: action.CommandDigest, InputRootDigest: action.InputRootDigest, Timeout: action.Timeout,
		DoNotCache: action.DoNotCache, Salt: action.Salt, Platform: action.Platform,
	}
	if needPlatform {
		out.Platform = command.Platform
	}
	if needTimeout {
		out.Timeout = durationpb.New(s.cfg.DefaultExecutionTimeout)
	}
	return out, nil
}

func (s *Scheduler) clampPriority(p int32) int32 {
	return max(s.cfg.PriorityMinimum, min(s.cfg.PriorityMaximum, p))
}

// invocationOf names the build a request belongs to, for fairness:
// tool_invocation_id, else correlated_invocations_id, else "".
func invocationOf(ctx context.Context) string {
	// ValueFromIncomingContext avoids copying every header.
	vals := metadata.ValueFromIncomingContext(ctx, requestMetadataKey)
	if len(vals) == 0 {
		return ""
	}
	rm := &remoteexecution.RequestMetadata{}
	if err := proto.Unmarshal([]byte(vals[0]), rm); err != nil {
		return ""
	}
	if rm.ToolInvocationId != "" {
		return rm.ToolInvocationId
	}
	return rm.CorrelatedInvocationsId
}

// cacheLookup returns a completed operation for an action already in the
// Action Cache, or nil. Cache errors other than NotFound are ignored: the
// action then simply runs.
func (s *Scheduler) cacheLookup(ctx context.Context, a *admission) *operation {
	result, err := storage.GetActionResult(ctx, s.ac, a.digest, s.cfg.MaximumMessageSize)
	if err != nil {
		return nil
	}
	// The CAS may have evicted outputs since; such a result is a miss, or
	// the client would get a result it cannot download.
	if ok, err := storage.ActionResultComplete(ctx, s.cas, a.digest.Instance, a.digest.Function, result); !ok || err != nil {
		return nil
	}
	out := newOutcome(&remoteexecution.ExecuteResponse{Result: result, CachedResult: true, Status: &rpcstatus.Status{}})
	s.mu.Lock()
	defer s.mu.Unlock()
	op := &operation{digest: a.digest, instance: a.digest.Instance, invocation: a.invocation, queuedAt: s.clk.Now()}
	s.newOperation(op)
	op.completedAt = op.queuedAt
	op.stage = remoteexecution.ExecutionStage_COMPLETED
	op.outcome = out
	op.changed = closedChannel
	s.completed.push(op)
	s.metrics.cacheHits.Inc()
	return op
}

// queueAction merges a into an identical operation in flight, under a
// name of its own, or queues a new one.
func (s *Scheduler) queueAction(a *admission) (*operation, string, error) {
	var keyBuf [256]byte
	props, queueKey := s.cfg.routingProperties(a.digest.Instance, a.action.Platform, keyBuf[:0])
	mergeKey := ""
	if !a.doNotCache {
		mergeKey = a.digest.Instance + "\x00" + a.digest.Function.String() + "\x00" + a.digest.Hash + "-" + strconv.FormatInt(a.digest.Size, 10)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if op := s.inFlight[mergeKey]; mergeKey != "" && op != nil {
		s.metrics.merges.Inc()
		return op, s.addName(op, a.invocation), nil
	}
	now := s.clk.Now()
	inGrace := now.Sub(s.started) < s.cfg.StartupGracePeriod
	q := s.queueFor(a.digest.Instance, props, queueKey, inGrace)
	if q == nil {
		return nil, "", status.Errorf(codes.FailedPrecondition, "action %s cannot run: %s", a.digest, s.explainUnmatched(a.digest.Instance, props))
	}
	op := &operation{mergeKey: mergeKey, instance: a.digest.Instance, digest: a.digest, action: a.action,
		priority: a.priority, invocation: a.invocation, queue: q, queuedAt: now}
	s.newOperation(op)
	s.enqueue(op)
	return op, op.name, nil
}

// streamOperation sends op's state now, at every stage it passes
// (including ones it went through between two wake-ups), and at least
// every KeepAliveInterval, until it completes.
func (s *Scheduler) streamOperation(ctx context.Context, op *operation, name string, send func(*longrunningpb.Operation) error) error {
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
			return status.FromContextError(ctx.Err()).Err()
		}
		stop()
	}
}

// Type URLs of the messages packed in Operations, spelled once instead of
// at every message.
var (
	metadataTypeURL = "type.googleapis.com/" + string((&remoteexecution.ExecuteOperationMetadata{}).ProtoReflect().Descriptor().FullName())
	responseTypeURL = "type.googleapis.com/" + string((&remoteexecution.ExecuteResponse{}).ProtoReflect().Descriptor().FullName())
)

// operationMessage renders a snapshot as a longrunning Operation.
func operationMessage(snap snapshot) *longrunningpb.Operation {
	md, _ := proto.Marshal(&remoteexecution.ExecuteOperationMetadata{
		Stage:            snap.stage,
		ActionDigest:     snap.digestProto,
		DigestFunction:   snap.digest.Function,
		StdoutStreamName: snap.stdoutName,
		StderrStreamName: snap.stderrName,
	})
	msg := &longrunningpb.Operation{Name: snap.name, Metadata: &anypb.Any{TypeUrl: metadataTypeURL, Value: md}}
	if snap.stage == remoteexecution.ExecutionStage_COMPLETED {
		msg.Done = true
		msg.Result = &longrunningpb.Operation_Response{Response: &anypb.Any{TypeUrl: responseTypeURL, Value: snap.response}}
	}
	return msg
}
