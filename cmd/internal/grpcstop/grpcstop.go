// Package grpcstop stops the programs' gRPC servers: running calls may
// finish, but long polls and Execute streams cannot hold a shutdown open
// for longer than a grace period (clients retry them).
package grpcstop

import (
	"time"

	"google.golang.org/grpc"
)

// Graceful stops s, letting calls finish for at most grace before cutting
// them off.
func Graceful(s *grpc.Server, grace time.Duration) {
	done := make(chan struct{})
	go func() {
		s.GracefulStop()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(grace):
		s.Stop()
	}
}
