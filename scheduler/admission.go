package scheduler

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/sandbarn/sandbarn/errkind"
	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
)

// requestMetadataKey is the header REAPI clients put RequestMetadata in.
const requestMetadataKey = "build.bazel.remote.execution.v2.requestmetadata-bin"

// admitter checks Execute requests against the CAS and looks their
// actions up in the Action Cache. It holds no scheduler state, so it runs
// without the scheduler's lock: everything slow about an Execute happens
// here.
type admitter struct {
	cfg     *Config
	cas, ac storage.BlobAccess
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

// admit validates the request and reads the Action and Command.
func (ad admitter) admit(ctx context.Context, req *remoteexecution.ExecuteRequest) (*admission, error) {
	fn, err := digest.ResolveFunction(req.DigestFunction)
	if err != nil {
		return nil, err
	}
	if err := digest.ValidateInstanceName(req.InstanceName); err != nil {
		return nil, err
	}
	d, err := digest.FromProto(req.InstanceName, fn, req.ActionDigest)
	if err != nil {
		return nil, errkind.New(errkind.Invalid, "action digest: %w", err)
	}
	action := &remoteexecution.Action{}
	if err := ad.readMessage(ctx, d, "action", action); err != nil {
		return nil, err
	}
	cd, err := digest.FromProto(req.InstanceName, fn, action.CommandDigest)
	if err != nil {
		return nil, errkind.New(errkind.Invalid, "action %s: command digest: %w", d, err)
	}
	rd, err := digest.FromProto(req.InstanceName, fn, action.InputRootDigest)
	if err != nil {
		return nil, errkind.New(errkind.Invalid, "action %s: input root digest: %w", d, err)
	}
	if err := ad.checkPresent(ctx, cd, rd); err != nil {
		return nil, err
	}
	// The Command matters here only for its platform, which REAPI 2.0-2.1
	// clients put there instead of in the Action; newer clients spare us
	// reading and parsing it.
	command := &remoteexecution.Command{}
	if len(action.GetPlatform().GetProperties()) == 0 {
		if err := ad.readMessage(ctx, cd, "command", command); err != nil {
			return nil, err
		}
	}
	workerAction, err := ad.workerAction(action, command)
	if err != nil {
		return nil, errkind.New(errkind.Invalid, "action %s: %w", d, err)
	}
	return &admission{
		digest: d, action: workerAction, command: command,
		priority:   ad.clampPriority(req.ExecutionPolicy.GetPriority()),
		invocation: invocationOf(ctx),
		doNotCache: action.DoNotCache,
	}, nil
}

// readMessage reads a message from the CAS, turning NotFound into the
// FAILED_PRECONDITION with a MISSING violation that makes clients upload.
func (ad admitter) readMessage(ctx context.Context, d digest.Digest, what string, m proto.Message) error {
	err := storage.GetProto(ctx, ad.cas, d, ad.cfg.MaximumMessageSize, m)
	switch {
	case err == nil:
		return nil
	case errkind.Is(err, errkind.NotFound):
		return storage.MissingBlobsError("blob", d)
	default:
		return fmt.Errorf("read %s %s: %w", what, d, err)
	}
}

// checkPresent reports every missing digest at once. The empty blob (an
// empty input root) always counts as present: clients never upload it.
func (ad admitter) checkPresent(ctx context.Context, ds ...digest.Digest) error {
	ds = slices.DeleteFunc(ds, func(d digest.Digest) bool { return d.Size == 0 })
	if len(ds) == 0 {
		return nil
	}
	missing, err := ad.cas.FindMissing(ctx, ds)
	if err != nil {
		return fmt.Errorf("find missing blobs: %w", err)
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
func (ad admitter) workerAction(action *remoteexecution.Action, command *remoteexecution.Command) (*remoteexecution.Action, error) {
	if t := action.Timeout; t != nil {
		if err := t.CheckValid(); err != nil {
			return nil, fmt.Errorf("timeout: %w", err)
		}
		if d := t.AsDuration(); d < 0 || d > ad.cfg.MaximumExecutionTimeout {
			return nil, fmt.Errorf("timeout %s is outside (0, %s]", d, ad.cfg.MaximumExecutionTimeout)
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
		out.Timeout = durationpb.New(ad.cfg.DefaultExecutionTimeout)
	}
	return out, nil
}

func (ad admitter) clampPriority(p int32) int32 {
	return max(ad.cfg.PriorityMinimum, min(ad.cfg.PriorityMaximum, p))
}

// cachedResult returns the outcome of an action already in the Action
// Cache. Cache errors other than NotFound are ignored: the action then
// simply runs.
func (ad admitter) cachedResult(ctx context.Context, a *admission) (outcome, bool) {
	result, err := storage.GetActionResult(ctx, ad.ac, a.digest, ad.cfg.MaximumMessageSize)
	if err != nil {
		return outcome{}, false
	}
	// The CAS may have evicted outputs since; such a result is a miss, or
	// the client would get a result it cannot download.
	if ok, err := storage.ActionResultComplete(ctx, ad.cas, a.digest.Instance, a.digest.Function, result); !ok || err != nil {
		return outcome{}, false
	}
	return newOutcome(&remoteexecution.ExecuteResponse{Result: result, CachedResult: true, Status: &rpcstatus.Status{}}), true
}

// mergeKey is the key identical actions are merged under, "" for one
// that may not be merged (do_not_cache).
func (a *admission) mergeKey() string {
	if a.doNotCache {
		return ""
	}
	return a.digest.Instance + "\x00" + a.digest.Function.String() + "\x00" + a.digest.Hash + "-" + strconv.FormatInt(a.digest.Size, 10)
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
