package errkind_test

import (
	"context"
	"fmt"
	"net"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	"github.com/sandbarn/sandbarn/errkind"
)

func TestOfFollowsTheChain(t *testing.T) {
	base := errkind.New(errkind.NotFound, "blob %s", "abc")
	cases := []struct {
		err  error
		want errkind.Kind
	}{
		{base, errkind.NotFound},
		{fmt.Errorf("reading: %w", base), errkind.NotFound},
		{errkind.New(errkind.Unavailable, "fetching: %w", base), errkind.Unavailable},
		{fmt.Errorf("remote: %w", status.Error(codes.ResourceExhausted, "full")), errkind.Exhausted},
		{fmt.Errorf("waiting: %w", context.DeadlineExceeded), errkind.DeadlineExceeded},
		{fmt.Errorf("plain"), errkind.Unknown},
		{nil, errkind.Unknown},
	}
	for _, c := range cases {
		if got := errkind.Of(c.err); got != c.want {
			t.Errorf("Of(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

func TestStatusKeepsMessageAndDetails(t *testing.T) {
	failure := &errdetails.PreconditionFailure{Violations: []*errdetails.PreconditionFailure_Violation{{Type: "MISSING", Subject: "blobs/a/1"}}}
	err := fmt.Errorf("action x: %w", errkind.WithDetails(errkind.Precondition, fmt.Errorf("input missing"), failure))
	s := errkind.Status(err)
	if s.Code() != codes.FailedPrecondition || s.Message() != "action x: input missing" || len(s.Details()) != 1 {
		t.Errorf("status %v %q %v", s.Code(), s.Message(), s.Details())
	}
	// Across a hop: the remote status's details survive being wrapped.
	again := errkind.Status(fmt.Errorf("worker: %w", errkind.FromStatus(s.Err())))
	if again.Code() != codes.FailedPrecondition || len(again.Details()) != 1 || again.Message() != "worker: action x: input missing" {
		t.Errorf("after a hop: %v %q %v", again.Code(), again.Message(), again.Details())
	}
}

// notServing answers every health check with a plain error of a kind.
type notServing struct {
	healthpb.UnimplementedHealthServer
}

func (notServing) Check(context.Context, *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	return nil, fmt.Errorf("checking: %w", errkind.New(errkind.Unavailable, "draining"))
}

func TestInterceptorMapsAtTheEdge(t *testing.T) {
	l := bufconn.Listen(1 << 20)
	srv := grpc.NewServer(errkind.ServerOptions()...)
	healthpb.RegisterHealthServer(srv, notServing{})
	go srv.Serve(l)
	defer srv.Stop()
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(context.Context, string) (net.Conn, error) { return l.Dial() }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{})
	if s := status.Convert(err); s.Code() != codes.Unavailable || s.Message() != "checking: draining" {
		t.Errorf("client sees %v %q", s.Code(), s.Message())
	}
}
