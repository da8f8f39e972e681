package errkind

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/protoadapt"
)

// Kind is what went wrong, as far as a caller can act on it.
type Kind int

// The kinds, each with the gRPC code it maps to.
const (
	Unknown          Kind = iota // codes.Unknown
	Invalid                      // the request is malformed: InvalidArgument
	NotFound                     // NotFound
	Precondition                 // the system is not in the state the request needs: FailedPrecondition
	Exhausted                    // a limit or quota was reached: ResourceExhausted
	Unavailable                  // transient trouble, worth retrying: Unavailable
	Internal                     // a bug or broken invariant: Internal
	Unimplemented                // Unimplemented
	AlreadyExists                // AlreadyExists
	PermissionDenied             // PermissionDenied
	Unauthenticated              // Unauthenticated
	Canceled                     // the caller gave up: Canceled
	DeadlineExceeded             // DeadlineExceeded
	Aborted                      // Aborted
	OutOfRange                   // OutOfRange
	DataLoss                     // DataLoss
)

var codeOf = map[Kind]codes.Code{
	Unknown: codes.Unknown, Invalid: codes.InvalidArgument, NotFound: codes.NotFound,
	Precondition: codes.FailedPrecondition, Exhausted: codes.ResourceExhausted,
	Unavailable: codes.Unavailable, Internal: codes.Internal, Unimplemented: codes.Unimplemented,
	AlreadyExists: codes.AlreadyExists, PermissionDenied: codes.PermissionDenied,
	Unauthenticated: codes.Unauthenticated, Canceled: codes.Canceled,
	DeadlineExceeded: codes.DeadlineExceeded, Aborted: codes.Aborted,
	OutOfRange: codes.OutOfRange, DataLoss: codes.DataLoss,
}

// Code is the gRPC code of k.
func (k Kind) Code() codes.Code { return codeOf[k] }

// FromCode is the kind of a gRPC code.
func FromCode(c codes.Code) Kind {
	for k, code := range codeOf {
		if code == c {
			return k
		}
	}
	return Unknown
}

// Kinded is an error type that knows its own kind, such as a package's
// richer error struct; Of and Status read it like a kind error.
type Kinded interface {
	error
	ErrKind() Kind
}

// kindError is an error with a kind and, optionally, details for the
// status (such as REAPI's PreconditionFailure).
type kindError struct {
	kind    Kind
	err     error
	details []proto.Message
}

func (e *kindError) Error() string { return e.err.Error() }
func (e *kindError) ErrKind() Kind { return e.kind }
func (e *kindError) Unwrap() error { return e.err }

// GRPCStatus lets gRPC and status.Code read the kind wherever the error
// goes, also through %w wrapping.
func (e *kindError) GRPCStatus() *status.Status { return Status(e) }

// New returns an error of kind k with a fmt.Errorf message (%w wraps).
func New(k Kind, format string, args ...any) error {
	return &kindError{kind: k, err: fmt.Errorf(format, args...)}
}

// WithDetails returns err with status details attached, for clients that
// read them (REAPI's missing-blob PreconditionFailure).
func WithDetails(k Kind, err error, details ...proto.Message) error {
	return &kindError{kind: k, err: err, details: details}
}

// Of returns the kind of err: the nearest kind in its chain, the kind of
// a gRPC status error it carries, or Canceled and DeadlineExceeded for
// the context's errors. nil has no kind (Unknown).
func Of(err error) Kind {
	if err == nil {
		return Unknown
	}
	var k Kinded
	if errors.As(err, &k) {
		return k.ErrKind()
	}
	switch {
	case errors.Is(err, context.Canceled):
		return Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return DeadlineExceeded
	}
	if s, ok := status.FromError(err); ok {
		return FromCode(s.Code())
	}
	return Unknown
}

// Status is the edge's one mapping from an error to what a client sees:
// the kind's code, the whole message with its context, and any details.
// A status error from another process keeps its code and details. A nil
// error gives a nil status.
func Status(err error) *status.Status {
	if err == nil {
		return nil
	}
	var k Kinded
	if !errors.As(err, &k) {
		if s, ok := status.FromError(err); ok {
			return s
		}
		return status.New(Of(err).Code(), err.Error())
	}
	s := status.New(k.ErrKind().Code(), err.Error())
	var ke *kindError
	if !errors.As(err, &ke) || len(ke.details) == 0 {
		return s
	}
	v1 := make([]protoadapt.MessageV1, len(ke.details))
	for i, d := range ke.details {
		v1[i] = protoadapt.MessageV1Of(d)
	}
	if withDetails, derr := s.WithDetails(v1...); derr == nil {
		return withDetails
	}
	return s
}

// Is reports whether err is of kind k.
func Is(err error, k Kind) bool { return err != nil && Of(err) == k }

// FromStatus turns a gRPC status error a client received into an error of
// its kind with its message and details, so that wrapping it reads as
// "context: message" rather than repeating "rpc error: code = ...". Other
// errors (nil included) are returned as they are.
func FromStatus(err error) error {
	s, ok := status.FromError(err)
	if !ok || err == nil {
		return err
	}
	ke := &kindError{kind: FromCode(s.Code()), err: errors.New(s.Message())}
	for _, d := range s.Details() {
		if m, ok := d.(proto.Message); ok {
			ke.details = append(ke.details, m)
		}
	}
	return ke
}
