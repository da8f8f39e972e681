package runnerserver

import (
	"context"

	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/sandbarn/sandbarn/errkind"
	runnerpb "github.com/sandbarn/sandbarn/proto/runner"
	"github.com/sandbarn/sandbarn/sandbox"
	"github.com/sandbarn/sandbarn/sandbox/buildpath"
)

// Server adapts a sandbox.Runner to runnerpb.RunnerServer.
type Server struct {
	runnerpb.UnimplementedRunnerServer
	runner sandbox.Runner
}

// New returns the gRPC service for runner. Register it on a grpc.Server
// yourself, or use Serve for the usual UNIX socket set-up.
func New(runner sandbox.Runner) *Server {
	return &Server{runner: runner}
}

// CheckReadiness checks the path and asks the runner.
func (s *Server) CheckReadiness(ctx context.Context, req *runnerpb.CheckReadinessRequest) (*emptypb.Empty, error) {
	if err := buildpath.Check("path", req.GetPath()); err != nil {
		return nil, err
	}
	if err := s.runner.CheckReadiness(ctx, req); err != nil {
		return nil, runnerFault(err)
	}
	return &emptypb.Empty{}, nil
}

// Run checks the request's paths and runs it.
func (s *Server) Run(ctx context.Context, req *runnerpb.RunRequest) (*runnerpb.RunResponse, error) {
	if err := buildpath.Validate(req); err != nil {
		return nil, err
	}
	resp, err := s.runner.Run(ctx, req)
	if err != nil {
		return nil, runnerFault(err)
	}
	return resp, nil
}

// runnerFault keeps errors that have a kind as they are. Runners promise
// one, but a plain error slipping through would otherwise reach the worker
// as Unknown, which it cannot act on; Internal says "runner fault". The
// kind is mapped to a code by errkind's interceptors, which Serve installs;
// it also reaches the client of a Server registered without them, since
// kind errors carry their gRPC status.
func runnerFault(err error) error {
	if errkind.Of(err) != errkind.Unknown {
		return err
	}
	return errkind.New(errkind.Internal, "runner: %w", err)
}
