package errkind

import (
	"context"

	"google.golang.org/grpc"
)

// ServerOptions install the edge mapping on a gRPC server: whatever
// error a handler returns reaches the client as Status(err).
func ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(unary),
		grpc.ChainStreamInterceptor(stream),
	}
}

func unary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	resp, err := handler(ctx, req)
	if err != nil {
		return resp, Status(err).Err()
	}
	return resp, nil
}

func stream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if err := handler(srv, ss); err != nil {
		return Status(err).Err()
	}
	return nil
}
