package runnerserver

import (
	"context"
	"net"
	"time"

	"google.golang.org/grpc"

	"github.com/sandbarn/sandbarn/errkind"
	runnerpb "github.com/sandbarn/sandbarn/proto/runner"
	"github.com/sandbarn/sandbarn/sandbox"
)

// Serve runs the runner service on lis until ctx ends, then stops
// gracefully: it stops accepting calls, gives running actions gracePeriod
// to finish, then cancels them. Cancelled runs kill their processes before
// returning, and Serve waits for that, so no action outlives the server.
func Serve(ctx context.Context, lis net.Listener, runner sandbox.Runner, gracePeriod time.Duration) error {
	srv := grpc.NewServer(append(errkind.ServerOptions(), grpc.WaitForHandlers(true))...)
	runnerpb.RegisterRunnerServer(srv, New(runner))
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	select {
	case err := <-served:
		srv.Stop()
		return err
	case <-ctx.Done():
	}
	timer := time.AfterFunc(gracePeriod, srv.Stop)
	srv.GracefulStop()
	timer.Stop()
	return <-served
}
