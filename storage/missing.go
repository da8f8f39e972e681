package storage

import (
	"errors"
	"fmt"
	"slices"

	"google.golang.org/genproto/googleapis/rpc/errdetails"

	"github.com/sandbarn/sandbarn/errkind"
	"github.com/sandbarn/sandbarn/storage/digest"
)

// MissingBlobsError is the error REAPI prescribes for blobs a client must
// upload again: FAILED_PRECONDITION (errkind.Precondition) with one MISSING
// violation per blob (subjects "blobs/HASH/SIZE", sorted, once each) as the
// status's PreconditionFailure detail. what names the blobs
// in the message, such as "input blob" or "command".
func MissingBlobsError(what string, ds ...digest.Digest) error {
	var subjects []string
	for _, d := range ds {
		subjects = append(subjects, fmt.Sprintf("blobs/%s/%d", d.Hash, d.Size))
	}
	slices.Sort(subjects)
	subjects = slices.Compact(subjects)
	if len(subjects) == 0 {
		return nil
	}
	failure := &errdetails.PreconditionFailure{}
	for _, s := range subjects {
		failure.Violations = append(failure.Violations, &errdetails.PreconditionFailure_Violation{
			Type: "MISSING", Subject: s, Description: what + " not found in the CAS",
		})
	}
	msg := fmt.Sprintf("%s %s is missing from the CAS", what, subjects[0])
	if len(subjects) > 1 {
		msg = fmt.Sprintf("%d %ss are missing from the CAS, first %s", len(subjects), what, subjects[0])
	}
	return errkind.WithDetails(errkind.Precondition, errors.New(msg), failure)
}
