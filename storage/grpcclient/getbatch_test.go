package grpcclient_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/sandbarn/sandbarn/errkind"
	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
	"github.com/sandbarn/sandbarn/storage/grpcclient"
	"github.com/sandbarn/sandbarn/storage/grpcservers"
	"github.com/sandbarn/sandbarn/storage/memory"
)

// corruptingCAS flips the first byte of the blobs in bad, so the server
// serves content that does not match the digest.
type corruptingCAS struct {
	storage.BlobAccess
	bad map[digest.Digest]bool
}

func (c corruptingCAS) Get(ctx context.Context, d digest.Digest) (io.ReadCloser, error) {
	data, err := storage.GetBytes(ctx, c.BlobAccess, d, d.Size)
	if err != nil {
		return nil, err
	}
	if c.bad[d.WithInstance("")] {
		data = bytes.Clone(data)
		data[0] ^= 0xff
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}

// batchCounter counts BatchReadBlobs requests and the blobs they carry.
type batchCounter struct {
	requests, maxBlobs atomic.Int64
}

func (b *batchCounter) intercept(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if info.FullMethod == "/build.bazel.remote.execution.v2.ContentAddressableStorage/BatchReadBlobs" {
		b.requests.Add(1)
	}
	return handler(ctx, req)
}

func serveMemory(t *testing.T, backing storage.BlobAccess, counter *batchCounter, maxBatch int64) *grpcclient.CAS {
	t.Helper()
	opts := grpcservers.Options{MaxMessageSizeBytes: maxMessage, UploadDirectory: t.TempDir()}
	s := grpc.NewServer(append(opts.ServerOptions(), grpc.UnaryInterceptor(counter.intercept))...)
	grpcservers.Register(s, backing, memory.NewActionCache(), opts)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(lis)
	t.Cleanup(s.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return grpcclient.NewCAS(conn, "", maxBatch)
}

type batchResult struct {
	data []byte
	err  error
}

func getBatch(t *testing.T, cas *grpcclient.CAS, digests []digest.Digest) map[digest.Digest]batchResult {
	t.Helper()
	var mu sync.Mutex
	got := map[digest.Digest]batchResult{}
	err := cas.GetBatch(context.Background(), digests, func(d digest.Digest, data []byte, err error) error {
		mu.Lock()
		defer mu.Unlock()
		if _, dup := got[d]; dup {
			t.Errorf("blob %s reported twice", d)
		}
		got[d] = batchResult{data, err}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestGetBatchPacksBlobsAndReportsEachFailure(t *testing.T) {
	ctx := context.Background()
	backing := memory.NewCAS()
	contents := map[digest.Digest][]byte{}
	var digests []digest.Digest
	for i := 0; i < 300; i++ {
		data := []byte(fmt.Sprintf("blob number %d %s", i, bytes.Repeat([]byte{'x'}, 1000)))
		d := digest.OfBytes("inst", data)
		if err := storage.PutBytes(ctx, backing, d, data); err != nil {
			t.Fatal(err)
		}
		contents[d] = data
		digests = append(digests, d)
	}
	// A blob above the batch limit travels through ByteStream.
	large := bytes.Repeat([]byte("large"), 20000)
	largeDigest := digest.OfBytes("inst", large)
	if err := storage.PutBytes(ctx, backing, largeDigest, large); err != nil {
		t.Fatal(err)
	}
	contents[largeDigest] = large
	empty := digest.OfBytes("inst", nil)
	contents[empty] = []byte{}
	missing := digest.OfBytes("inst", []byte("never stored"))
	corrupt := digests[7]
	digests = append(digests, largeDigest, empty, missing, digests[3]) // digests[3] twice

	counter := &batchCounter{}
	cas := serveMemory(t, corruptingCAS{backing, map[digest.Digest]bool{corrupt.WithInstance(""): true}}, counter, 64<<10)
	got := getBatch(t, cas, digests)

	if len(got) != len(contents)+1 {
		t.Fatalf("%d blobs reported, want %d", len(got), len(contents)+1)
	}
	for d, want := range contents {
		r := got[d]
		if d == corrupt {
			if !errkind.Is(r.err, errkind.DataLoss) {
				t.Errorf("corrupt blob: %v, want DataLoss", r.err)
			}
			continue
		}
		if r.err != nil || !bytes.Equal(r.data, want) {
			t.Errorf("blob %s: err %v, %d bytes, want %d", d, r.err, len(r.data), len(want))
		}
	}
	if !errkind.Is(got[missing].err, errkind.NotFound) {
		t.Errorf("missing blob: %v, want NotFound", got[missing].err)
	}
	// 300 blobs of about 1 KiB in 64 KiB batches: a handful of requests,
	// not one each.
	if n := counter.requests.Load(); n < 4 || n > 8 {
		t.Errorf("%d BatchReadBlobs requests, want about 6", n)
	}
}

func TestGetBatchStopsWhenCallbackFails(t *testing.T) {
	ctx := context.Background()
	backing := memory.NewCAS()
	var digests []digest.Digest
	for i := 0; i < 100; i++ {
		data := bytes.Repeat([]byte{byte(i)}, 4096)
		d := digest.OfBytes("", data)
		if err := storage.PutBytes(ctx, backing, d, data); err != nil {
			t.Fatal(err)
		}
		digests = append(digests, d)
	}
	cas := serveMemory(t, backing, &batchCounter{}, 16<<10)
	stop := errkind.New(errkind.Aborted, "enough")
	var calls atomic.Int64
	returned := make(chan struct{})
	err := cas.GetBatch(ctx, digests, func(d digest.Digest, data []byte, err error) error {
		select {
		case <-returned:
			t.Error("callback ran after GetBatch returned")
		default:
		}
		calls.Add(1)
		return stop
	})
	close(returned)
	if err != stop {
		t.Fatalf("got %v, want the callback's error", err)
	}
	if calls.Load() >= int64(len(digests)) {
		t.Fatalf("%d callbacks after the first failed", calls.Load())
	}
}
