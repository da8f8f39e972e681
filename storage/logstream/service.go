package logstream

import (
	"context"

	logstreampb "github.com/bazelbuild/remote-apis/build/bazel/remote/logstream/v1"
)

// Service is build.bazel.remote.logstream.v1.LogStreamService on a Store,
// for clients that create streams themselves.
type Service struct {
	logstreampb.UnimplementedLogStreamServiceServer
	store *Store
}

// NewService returns the LogStream service of store; register it next to
// the ByteStream service that serves the streams.
func NewService(store *Store) *Service {
	return &Service{store: store}
}

// CreateLogStream creates a stream under parent, taken as an instance
// name.
func (s *Service) CreateLogStream(_ context.Context, req *logstreampb.CreateLogStreamRequest) (*logstreampb.LogStream, error) {
	return s.store.Create(req.Parent), nil
}
