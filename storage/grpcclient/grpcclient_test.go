package grpcclient_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"google.golang.org/genproto/googleapis/bytestream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/sandbarn/sandbarn/errkind"
	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
	"github.com/sandbarn/sandbarn/storage/grpcclient"
	"github.com/sandbarn/sandbarn/storage/grpcservers"
	"github.com/sandbarn/sandbarn/storage/local"
	"github.com/sandbarn/sandbarn/storage/storagetest"
)

const maxMessage = 4 << 20

// stack is local disk behind our gRPC server on loopback TCP, reached
// through our client.
type stack struct {
	conn     *grpc.ClientConn
	localCAS storage.BlobAccess
	cas      *grpcclient.CAS
	ac       *grpcclient.ActionCache
}

func newStack(t *testing.T, serverOpts ...grpc.ServerOption) stack {
	t.Helper()
	open := func(kind local.Kind) storage.BlobAccess {
		ba, err := local.New(local.Options{Dir: t.TempDir(), MaxSizeBytes: 1 << 30, Kind: kind, DisableSync: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ba.Close() })
		return ba
	}
	cas, ac := open(local.CAS), open(local.ActionCache)
	opts := grpcservers.Options{MaxMessageSizeBytes: maxMessage, UploadDirectory: t.TempDir()}
	s := grpc.NewServer(append(opts.ServerOptions(), serverOpts...)...)
	grpcservers.Register(s, cas, ac, opts)
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
	return stack{
		conn:     conn,
		localCAS: cas,
		cas:      grpcclient.NewCAS(conn, "", opts.MaxBatchTotalSizeBytes()),
		ac:       grpcclient.NewActionCache(conn, ""),
	}
}

// TestConformance runs the CAS half of the BlobAccess suite through the
// whole stack. The Action Cache half stores arbitrary bytes, which REAPI
// cannot carry (its values are ActionResults); TestActionCache covers it.
func TestConformance(t *testing.T) {
	storagetest.RunConformance(t, func(t *testing.T) storage.BlobAccess { return newStack(t).cas }, nil)
}

// TestInstancePrefixAndSmallBatches uses a client with an instance prefix
// and a tiny batch limit, so that medium blobs take the ByteStream path.
func TestInstancePrefixAndSmallBatches(t *testing.T) {
	st := newStack(t)
	ctx := context.Background()
	cas := grpcclient.NewCAS(st.conn, "farm/prefix", 64<<10)
	for _, size := range []int{0, 10, 64 << 10, 64<<10 + 1, 3 << 20} {
		data := bytes.Repeat([]byte{byte(size)}, size)
		d := digest.OfBytes("team", data)
		// Wrong content is refused on both paths. (Once the blob exists a
		// ByteStream upload completes at once, as REAPI allows, so this
		// comes first.)
		if size > 0 {
			bad := append([]byte{}, data...)
			bad[0]++
			if err := storage.PutBytes(ctx, cas, d, bad); !errkind.Is(err, errkind.Invalid) {
				t.Fatalf("Put of wrong %d bytes: %v", size, err)
			}
		}
		if err := storage.PutBytes(ctx, cas, d, data); err != nil {
			t.Fatalf("Put of %d bytes: %v", size, err)
		}
		got, err := storage.GetBytes(ctx, cas, d, int64(size))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("Get of %d bytes: %d bytes, %v", size, len(got), err)
		}
		if missing, err := cas.FindMissing(ctx, []digest.Digest{d}); err != nil || len(missing) != 0 {
			t.Fatalf("FindMissing after Put of %d bytes: %v %v", size, missing, err)
		}
	}
}

func TestActionCache(t *testing.T) {
	st := newStack(t)
	ctx := context.Background()
	out := []byte("output")
	od := digest.OfBytes("", out)
	result := &remoteexecution.ActionResult{ExitCode: 1, OutputFiles: []*remoteexecution.OutputFile{{Path: "o", Digest: od.Proto()}}}
	data, _ := proto.MarshalOptions{Deterministic: true}.Marshal(result)
	a := digest.OfBytes("team-a", []byte("action"))
	b := a.WithInstance("team-b")
	if err := storage.PutBytes(ctx, st.ac, a, data); err != nil {
		t.Fatal(err)
	}
	// The output is not in the CAS yet, so the result is not served.
	if _, err := st.ac.Get(ctx, a); !errkind.Is(err, errkind.NotFound) {
		t.Fatalf("Get with a missing output: %v", err)
	}
	if err := storage.PutBytes(ctx, st.cas, od, out); err != nil {
		t.Fatal(err)
	}
	r, err := st.ac.Get(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Error("ActionResult changed on the round trip")
	}
	missing, err := st.ac.FindMissing(ctx, []digest.Digest{a, b})
	if err != nil || len(missing) != 1 || missing[0] != b {
		t.Errorf("FindMissing = %v, %v; want only %s", missing, err, b)
	}
	if err := storage.PutBytes(ctx, st.ac, a, []byte{0xff, 0xff}); !errkind.Is(err, errkind.Invalid) {
		t.Errorf("Put of bytes that are no ActionResult: %v", err)
	}
}

// Errors from the server come back as kind errors carrying the server's own
// message, so that a caller's context reads "context: message" without
// gRPC's "rpc error: code = ..." in between.
func TestServerErrorsAreKindErrors(t *testing.T) {
	st := newStack(t)
	ctx := context.Background()
	small := digest.OfBytes("", []byte("never stored"))
	large := digest.OfBytes("", bytes.Repeat([]byte("never stored"), maxMessage/8))
	_, casErr := st.cas.Get(ctx, small)
	_, streamErr := st.cas.Get(ctx, large)
	_, acErr := st.ac.Get(ctx, small)
	for what, err := range map[string]error{"batch read": casErr, "ByteStream read": streamErr, "Action Cache read": acErr} {
		msg := fmt.Errorf("context: %w", err).Error()
		if !errkind.Is(err, errkind.NotFound) || strings.Contains(msg, "rpc error") || !strings.HasSuffix(msg, "not found") {
			t.Errorf("%s of a missing blob: %q (kind %v), want NotFound with the server's message", what, msg, errkind.Of(err))
		}
	}
}

func TestGetTree(t *testing.T) {
	st := newStack(t)
	ctx := context.Background()
	leaf := &remoteexecution.Directory{Files: []*remoteexecution.FileNode{{Name: "f", Digest: digest.OfBytes("", []byte("f")).Proto()}}}
	ld, err := storage.PutProto(ctx, st.cas, "", leaf)
	if err != nil {
		t.Fatal(err)
	}
	root := &remoteexecution.Directory{Directories: []*remoteexecution.DirectoryNode{{Name: "a", Digest: ld.Proto()}, {Name: "b", Digest: ld.Proto()}}}
	rd, err := storage.PutProto(ctx, st.cas, "", root)
	if err != nil {
		t.Fatal(err)
	}
	dirs, err := grpcclient.GetTree(ctx, st.conn, "", rd)
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) != 2 || !proto.Equal(dirs[0], root) || !proto.Equal(dirs[1], leaf) {
		t.Errorf("GetTree returned %d directories: %v", len(dirs), dirs)
	}
}

// dropper fails the chosen ByteStream Write streams (counted from 0) after
// three messages, as if the connection broke, and records where each Write
// stream started.
type dropper struct {
	mu     sync.Mutex
	drop   map[int]bool
	starts []int64
}

func (dr *dropper) intercept(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if !strings.HasSuffix(info.FullMethod, "/Write") {
		return handler(srv, ss)
	}
	dr.mu.Lock()
	stream := len(dr.starts)
	dr.starts = append(dr.starts, -1)
	drop := dr.drop[stream]
	dr.mu.Unlock()
	return handler(srv, &droppingStream{ServerStream: ss, dr: dr, stream: stream, drop: drop})
}

type droppingStream struct {
	grpc.ServerStream
	dr       *dropper
	stream   int
	drop     bool
	received int
}

func (s *droppingStream) RecvMsg(m any) error {
	if s.drop && s.received == 3 {
		return status.Error(codes.Unavailable, "connection dropped by the test")
	}
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	if s.received == 0 {
		s.dr.mu.Lock()
		s.dr.starts[s.stream] = m.(*bytestream.WriteRequest).WriteOffset
		s.dr.mu.Unlock()
	}
	s.received++
	return nil
}

func TestPutResumesAfterDroppedStream(t *testing.T) {
	dr := &dropper{drop: map[int]bool{0: true, 2: true}}
	st := newStack(t, grpc.StreamInterceptor(dr.intercept))
	ctx := context.Background()
	cas := grpcclient.NewCAS(st.conn, "", 64<<10)
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB: 16 chunks
	d := digest.OfBytes("", data)
	if err := cas.Put(ctx, d, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if len(dr.starts) != 2 || dr.starts[1] != 3*64<<10 {
		t.Fatalf("Write streams started at %v, want [0 %d]", dr.starts, 3*64<<10)
	}
	got, err := storage.GetBytes(ctx, st.localCAS, d, d.Size)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("stored blob: %d bytes, %v", len(got), err)
	}
	// A source that cannot seek is not resumed: the error reaches the caller.
	d2 := digest.OfBytes("", append(data, 'x'))
	err = cas.Put(ctx, d2, io.MultiReader(bytes.NewReader(data), strings.NewReader("x")))
	if !errkind.Is(err, errkind.Unavailable) || len(dr.starts) != 3 {
		t.Fatalf("dropped upload from a plain reader: %v after %d streams", err, len(dr.starts))
	}
}

// readBreaker fails the first ByteStream Read stream after two messages
// and records the read_offset of every Read.
type readBreaker struct {
	mu      sync.Mutex
	offsets []int64
}

func (b *readBreaker) intercept(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if !strings.HasSuffix(info.FullMethod, "/Read") {
		return handler(srv, ss)
	}
	return handler(srv, &breakingStream{ServerStream: ss, b: b})
}

type breakingStream struct {
	grpc.ServerStream
	b     *readBreaker
	first bool
	sent  int
}

func (s *breakingStream) RecvMsg(m any) error {
	err := s.ServerStream.RecvMsg(m)
	if err == nil {
		s.b.mu.Lock()
		s.first = len(s.b.offsets) == 0
		s.b.offsets = append(s.b.offsets, m.(*bytestream.ReadRequest).ReadOffset)
		s.b.mu.Unlock()
	}
	return err
}

func (s *breakingStream) SendMsg(m any) error {
	if s.first && s.sent == 2 {
		return status.Error(codes.Unavailable, "connection dropped by the test")
	}
	s.sent++
	return s.ServerStream.SendMsg(m)
}

func TestGetResumesAfterBrokenStream(t *testing.T) {
	b := &readBreaker{}
	st := newStack(t, grpc.StreamInterceptor(b.intercept))
	ctx := context.Background()
	data := bytes.Repeat([]byte("fedcba9876543210"), 5<<16) // 5 MiB
	d := digest.OfBytes("", data)
	if err := storage.PutBytes(ctx, st.localCAS, d, data); err != nil {
		t.Fatal(err)
	}
	got, err := storage.GetBytes(ctx, grpcclient.NewCAS(st.conn, "", 64<<10), d, d.Size)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes, %v", len(got), err)
	}
	if len(b.offsets) != 2 || b.offsets[0] != 0 || b.offsets[1] <= 0 {
		t.Fatalf("Read offsets %v, want a resumed second read", b.offsets)
	}
}
