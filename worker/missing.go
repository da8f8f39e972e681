package worker

import (
	"fmt"

	"github.com/sandbarn/sandbarn/storage/digest"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// missingCommand is the FAILED_PRECONDITION that makes a client upload the
// Command again.
func missingCommand(d digest.Digest) error {
	subject := fmt.Sprintf("blobs/%s/%d", d.Hash, d.Size)
	st, err := status.New(codes.FailedPrecondition, "command "+subject+" is missing from the CAS").WithDetails(&errdetails.PreconditionFailure{
		Violations: []*errdetails.PreconditionFailure_Violation{{Type: "MISSING", Subject: subject, Description: "command not found in the CAS"}},
	})
	if err != nil {
		return status.Error(codes.FailedPrecondition, "command "+subject+" is missing from the CAS")
	}
	return st.Err()
}
