package scheduler

import (
	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/sandbarn/sandbarn/errkind"
)

// outcome is how an operation finished, kept in the form it is sent: the
// ExecuteResponse marshalled once. Every message about the operation
// carries these bytes, and the finished operations kept for
// CompletedRetention hold no tree of messages for the collector to walk.
// code, message and cached are what the admin API and metrics show, read
// back from the response's status.
type outcome struct {
	response []byte
	code     codes.Code
	message  string
	cached   bool
}

// newOutcome marshals resp. Call it outside the scheduler's lock when the
// response comes from a worker: it can be large.
func newOutcome(resp *remoteexecution.ExecuteResponse) outcome {
	b, err := proto.Marshal(resp)
	if err != nil {
		// Decoded messages re-encode; this guards hand-built ones.
		resp = &remoteexecution.ExecuteResponse{Status: errkind.Status(
			errkind.New(errkind.Internal, "the scheduler could not encode the result: %w", err)).Proto()}
		b, _ = proto.Marshal(resp)
	}
	return outcome{response: b, code: codes.Code(resp.GetStatus().GetCode()), message: resp.GetStatus().GetMessage(), cached: resp.CachedResult}
}
