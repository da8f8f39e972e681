package storage_test

import (
	"fmt"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
)

// Clients re-upload what the PreconditionFailure names, so the detail must
// reach them even after callers wrap the error with context.
func TestMissingBlobsErrorCarriesViolations(t *testing.T) {
	a, b := digest.OfBytes("", []byte("a")), digest.OfBytes("", []byte("b"))
	err := fmt.Errorf("action x: %w", storage.MissingBlobsError("input blob", b, a, b))
	s := status.Convert(err)
	if s.Code() != codes.FailedPrecondition {
		t.Fatalf("code %v, want FailedPrecondition", s.Code())
	}
	if want := "action x: 2 input blobs are missing from the CAS, first blobs/"; !strings.HasPrefix(s.Message(), want) {
		t.Errorf("message %q, want prefix %q", s.Message(), want)
	}
	var subjects []string
	for _, d := range s.Details() {
		if f, ok := d.(*errdetails.PreconditionFailure); ok {
			for _, v := range f.Violations {
				subjects = append(subjects, v.Type+" "+v.Subject)
			}
		}
	}
	if len(subjects) != 2 || subjects[0] == subjects[1] {
		t.Errorf("violations %v, want two distinct MISSING ones", subjects)
	}
	if storage.MissingBlobsError("input blob") != nil {
		t.Error("nothing missing gave an error")
	}
}
