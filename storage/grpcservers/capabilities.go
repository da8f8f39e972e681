package grpcservers

import (
	"context"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"github.com/bazelbuild/remote-apis/build/bazel/semver"

	"github.com/sandbarn/sandbarn/storage/digest"
)

// Capabilities tells clients what the storage (and, when attached, the
// execution service) supports.
type Capabilities struct {
	remoteexecution.UnimplementedCapabilitiesServer
	opts Options
}

// NewCapabilities returns the Capabilities service. Register calls it.
func NewCapabilities(opts Options) *Capabilities {
	return &Capabilities{opts: opts.withDefaults()}
}

// GetCapabilities answers the same for every instance name: all instances
// share one storage.
func (s *Capabilities) GetCapabilities(ctx context.Context, req *remoteexecution.GetCapabilitiesRequest) (*remoteexecution.ServerCapabilities, error) {
	if err := digest.ValidateInstanceName(req.InstanceName); err != nil {
		return nil, err
	}
	return &remoteexecution.ServerCapabilities{
		CacheCapabilities: &remoteexecution.CacheCapabilities{
			DigestFunctions:               append([]remoteexecution.DigestFunction_Value(nil), digest.SupportedFunctions...),
			ActionCacheUpdateCapabilities: &remoteexecution.ActionCacheUpdateCapabilities{UpdateEnabled: true},
			MaxBatchTotalSizeBytes:        s.opts.MaxBatchTotalSizeBytes(),
			SymlinkAbsolutePathStrategy:   remoteexecution.SymlinkAbsolutePathStrategy_ALLOWED,
		},
		ExecutionCapabilities: s.opts.Execution,
		LowApiVersion:         &semver.SemVer{Major: 2},
		HighApiVersion:        &semver.SemVer{Major: 2, Minor: 11},
	}, nil
}
