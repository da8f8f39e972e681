package grpcservers

import (
	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"google.golang.org/genproto/googleapis/bytestream"
	"google.golang.org/grpc"

	"github.com/sandbarn/sandbarn/storage"
)

// Register adds ContentAddressableStorage, ByteStream, ActionCache and
// Capabilities on top of cas and ac to s. Create s with
// opts.ServerOptions() so gRPC enforces the same message limit that
// Capabilities advertises and the handlers' errors are mapped to their
// statuses. Use it in bb_storage and in any program that
// embeds the storage (the single-machine farm, tests). ByteStream calls
// for the resource names of opts.ByteStreamRoutes go to those servers.
func Register(s *grpc.Server, cas, ac storage.BlobAccess, opts Options) {
	opts = opts.withDefaults()
	remoteexecution.RegisterContentAddressableStorageServer(s, NewCAS(cas, opts))
	var bs bytestream.ByteStreamServer = NewByteStream(cas, opts)
	if len(opts.ByteStreamRoutes) > 0 {
		bs = newByteStreamMux(bs, opts.ByteStreamRoutes)
	}
	bytestream.RegisterByteStreamServer(s, bs)
	remoteexecution.RegisterActionCacheServer(s, NewActionCache(cas, ac, opts))
	remoteexecution.RegisterCapabilitiesServer(s, NewCapabilities(opts))
}
