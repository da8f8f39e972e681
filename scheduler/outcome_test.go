package scheduler

import (
	"testing"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
)

func TestOutcomeKeepsTheResponseAsSent(t *testing.T) {
	resp := &remoteexecution.ExecuteResponse{Result: &remoteexecution.ActionResult{ExitCode: 3},
		Status: &rpcstatus.Status{Code: int32(codes.DeadlineExceeded), Message: "too slow"}, CachedResult: true}
	out := newOutcome(resp)
	got := &remoteexecution.ExecuteResponse{}
	if err := proto.Unmarshal(out.response, got); err != nil || !proto.Equal(got, resp) {
		t.Fatalf("kept %v (%v), want %v", got, err, resp)
	}
	if out.code != codes.DeadlineExceeded || out.message != "too slow" || !out.cached {
		t.Errorf("admin fields %v %q %v", out.code, out.message, out.cached)
	}
}

// A response that cannot be encoded (invalid UTF-8 in a string) becomes
// an INTERNAL error rather than an empty result.
func TestOutcomeOfAnUnencodableResponse(t *testing.T) {
	out := newOutcome(&remoteexecution.ExecuteResponse{Status: &rpcstatus.Status{Message: "\xff"}})
	got := &remoteexecution.ExecuteResponse{}
	if err := proto.Unmarshal(out.response, got); err != nil {
		t.Fatal(err)
	}
	if out.code != codes.Internal || codes.Code(got.GetStatus().GetCode()) != codes.Internal {
		t.Errorf("got %v / %v, want INTERNAL", out.code, got.GetStatus())
	}
}
