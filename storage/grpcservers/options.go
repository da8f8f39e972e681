package grpcservers

import (
	"os"
	"time"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"google.golang.org/grpc"

	"github.com/sandbarn/sandbarn/errkind"
)

// DefaultMaxMessageSizeBytes is gRPC's own default receive limit.
const DefaultMaxMessageSizeBytes = 4 << 20

// Options configure the storage services.
type Options struct {
	// MaxMessageSizeBytes bounds every request and response. Batch
	// requests whose blobs add up to more than the advertised batch limit
	// (derived from this) are refused with InvalidArgument. Zero means
	// DefaultMaxMessageSizeBytes.
	MaxMessageSizeBytes int
	// Execution, when not nil, is advertised by Capabilities: a scheduler
	// sharing this gRPC server passes its execution capabilities here.
	Execution *remoteexecution.ExecutionCapabilities
	// UploadDirectory holds partial ByteStream uploads so that a client can
	// resume after a dropped stream. Empty means os.TempDir().
	UploadDirectory string
	// UploadIdleTimeout is how long a partial upload nobody writes to is
	// kept. Zero means one hour.
	UploadIdleTimeout time.Duration
	// Now is the clock used to expire partial uploads; nil means time.Now.
	Now func() time.Time
	// ByteStreamRoutes serve other resources than blobs through the same
	// ByteStream service: a scheduler's log streams, say. The first route
	// whose Match accepts a name takes the call; the CAS takes the rest.
	ByteStreamRoutes []ByteStreamRoute
}

// batchOverheadBytes is room left in a message for everything besides blob
// contents (digests, field tags, statuses) when a batch is at the limit.
const batchOverheadBytes = 64 << 10

func (o Options) withDefaults() Options {
	if o.MaxMessageSizeBytes <= 0 {
		o.MaxMessageSizeBytes = DefaultMaxMessageSizeBytes
	}
	if o.UploadDirectory == "" {
		o.UploadDirectory = os.TempDir()
	}
	if o.UploadIdleTimeout <= 0 {
		o.UploadIdleTimeout = time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// MaxBatchTotalSizeBytes is the batch limit advertised in Capabilities and
// enforced on BatchUpdateBlobs and BatchReadBlobs: the message limit minus
// room for the envelope, so a full batch still fits in one message.
func (o Options) MaxBatchTotalSizeBytes() int64 {
	o = o.withDefaults()
	overhead := min(batchOverheadBytes, o.MaxMessageSizeBytes/4)
	return int64(o.MaxMessageSizeBytes - overhead)
}

// ServerOptions returns the grpc.Server options that make gRPC itself
// enforce the message limit and map every handler's error to its gRPC
// status once, at this edge (errkind.ServerOptions); pass them to
// grpc.NewServer. The mapping covers every service on that server, so a
// scheduler sharing it returns kind errors too.
func (o Options) ServerOptions() []grpc.ServerOption {
	o = o.withDefaults()
	return append([]grpc.ServerOption{
		grpc.MaxRecvMsgSize(o.MaxMessageSizeBytes),
		grpc.MaxSendMsgSize(o.MaxMessageSizeBytes),
	}, errkind.ServerOptions()...)
}
