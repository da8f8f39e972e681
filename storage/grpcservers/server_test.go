package grpcservers_test

import (
	"context"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/grpcservers"
	"github.com/sandbarn/sandbarn/storage/local"
)

// newLocal returns a fresh local-disk store of the given kind in a temp dir.
func newLocal(t *testing.T, kind local.Kind) storage.BlobAccess {
	t.Helper()
	ba, err := local.New(local.Options{Dir: t.TempDir(), MaxSizeBytes: 4 << 30, Kind: kind, DisableSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ba.Close() })
	return ba
}

// serve runs the storage services over an in-process connection and
// returns a client connection to them.
func serve(t *testing.T, cas, ac storage.BlobAccess, opts grpcservers.Options) *grpc.ClientConn {
	t.Helper()
	if opts.UploadDirectory == "" {
		opts.UploadDirectory = t.TempDir()
	}
	lis := bufconn.Listen(1 << 20)
	s := grpc.NewServer(opts.ServerOptions()...)
	grpcservers.Register(s, cas, ac, opts)
	go s.Serve(lis)
	t.Cleanup(s.Stop)
	conn, err := grpc.NewClient("passthrough:///bufconn",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20), grpc.MaxCallSendMsgSize(64<<20)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// serveLocal serves fresh local CAS and AC stores.
func serveLocal(t *testing.T, opts grpcservers.Options) (*grpc.ClientConn, storage.BlobAccess, storage.BlobAccess) {
	cas, ac := newLocal(t, local.CAS), newLocal(t, local.ActionCache)
	return serve(t, cas, ac, opts), cas, ac
}

func wantCode(t *testing.T, err error, code codes.Code, what string) {
	t.Helper()
	if status.Code(err) != code {
		t.Errorf("%s: got %v, want code %s", what, err, code)
	}
}
