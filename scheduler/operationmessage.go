package scheduler

import (
	"cloud.google.com/go/longrunning/autogen/longrunningpb"
	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// Type URLs of the messages packed in Operations, spelled once instead of
// at every message.
var (
	metadataTypeURL = "type.googleapis.com/" + string((&remoteexecution.ExecuteOperationMetadata{}).ProtoReflect().Descriptor().FullName())
	responseTypeURL = "type.googleapis.com/" + string((&remoteexecution.ExecuteResponse{}).ProtoReflect().Descriptor().FullName())
)

// operationMessage renders a snapshot as a longrunning Operation, for
// Execute and WaitExecution streams and the Operations service alike.
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
