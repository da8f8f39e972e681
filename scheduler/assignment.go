package scheduler

import (
	"time"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/sandbarn/sandbarn/proto/remoteworker"
	"github.com/sandbarn/sandbarn/storage/digest"
)

// assignment is what a Synchronize call answers, copied out of the lock.
type assignment struct {
	op       *operation // nil: idle
	name     string
	digest   digest.Digest
	action   *remoteexecution.Action
	queuedAt time.Time
	suffix   string
	logs     *remoteworker.LogStreamWriteNames
	next     time.Time
}

// newAssignment tells w to execute the operation it holds and to report
// again by next. Called with Scheduler.mu held.
func newAssignment(w *worker, next time.Time) assignment {
	suffix, _ := instanceSuffix(w.class.prefix, w.op.instance)
	op := w.op
	a := assignment{op: op, name: op.name, digest: op.digest, action: op.action, queuedAt: op.queuedAt,
		suffix: suffix, next: next}
	if op.stdoutLog != nil {
		a.logs = &remoteworker.LogStreamWriteNames{
			StdoutWriteResourceName: op.stdoutLog.WriteResourceName,
			StderrWriteResourceName: op.stderrLog.WriteResourceName,
		}
	}
	return a
}

// response renders the assignment for the worker.
func (a assignment) response() *remoteworker.SynchronizeResponse {
	resp := &remoteworker.SynchronizeResponse{NextSynchronizationAt: timestamppb.New(a.next)}
	if a.op == nil {
		resp.DesiredState = &remoteworker.DesiredState{
			WorkerState: &remoteworker.DesiredState_Idle{Idle: &emptypb.Empty{}},
		}
		return resp
	}
	ex := &remoteworker.DesiredState_Executing{
		ActionDigest:       a.op.digestProto,
		Action:             a.action,
		QueuedTimestamp:    timestamppb.New(a.queuedAt),
		InstanceNameSuffix: a.suffix,
		DigestFunction:     a.digest.Function,
	}
	if a.logs != nil {
		if logs, err := anypb.New(a.logs); err == nil {
			ex.AuxiliaryMetadata = append(ex.AuxiliaryMetadata, logs)
		}
	}
	resp.DesiredState = &remoteworker.DesiredState{WorkerState: &remoteworker.DesiredState_Executing_{Executing: ex}}
	return resp
}
