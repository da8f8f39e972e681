package configuration

import (
	"errors"

	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/grpcclient"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// defaultMaxBatchBytes is GRPCConfiguration.MaxBatchBytes when unset:
// half of gRPC's default 4 MiB message limit, so a batch fits in what any
// REAPI server accepts.
const defaultMaxBatchBytes = 2 << 20

// maxReceiveMessageBytes bounds a response from the storage server; it is
// far above any batch or ByteStream chunk this client asks for, so it
// only stops a server gone wrong.
const maxReceiveMessageBytes = 64 << 20

// GRPCConfiguration reaches a REAPI storage server over gRPC
// (storage/grpcclient): Sandbarn's or Buildbarn's bb_storage,
// bazel-remote, or another program's storage services.
type GRPCConfiguration struct {
	// Address is a gRPC target: "host:port" or "unix:///path/to.sock".
	Address string `json:"address"`
	// InstanceNamePrefix is put before the instance name of every request.
	InstanceNamePrefix string `json:"instanceNamePrefix,omitempty"`
	// MaxBatchBytes is the largest CAS blob read or written with a batch
	// request rather than over ByteStream; 0 means 2 MiB. Keep it below
	// the server's batch limit. The Action Cache ignores it, so one
	// message can describe both.
	MaxBatchBytes int64 `json:"maxBatchBytes,omitempty"`
}

// newGRPC returns a client on the Factory's connection to c.Address.
func (f *Factory) newGRPC(c *GRPCConfiguration, k kind) (storage.BlobAccess, error) {
	switch {
	case c.Address == "":
		return nil, errors.New("address is required")
	case c.MaxBatchBytes < 0:
		return nil, errors.New("maxBatchBytes must not be negative")
	}
	conn, err := f.dial(c.Address)
	if err != nil {
		return nil, err
	}
	if k == kindActionCache {
		return grpcclient.NewActionCache(conn, c.InstanceNamePrefix), nil
	}
	maxBatch := c.MaxBatchBytes
	if maxBatch == 0 {
		maxBatch = defaultMaxBatchBytes
	}
	return grpcclient.NewCAS(conn, c.InstanceNamePrefix, maxBatch), nil
}

// dial returns the connection to address, creating it on first use.
// grpc.NewClient connects lazily, so an unreachable server shows up on
// the first call, not here.
func (f *Factory) dial(address string) (*grpc.ClientConn, error) {
	if conn, ok := f.conns[address]; ok {
		return conn, nil
	}
	conn, err := grpc.NewClient(address, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxReceiveMessageBytes)))
	if err != nil {
		return nil, err
	}
	f.conns[address] = conn
	f.closers = append(f.closers, conn)
	return conn, nil
}
