package logstream

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	logstreampb "github.com/bazelbuild/remote-apis/build/bazel/remote/logstream/v1"
	"google.golang.org/genproto/googleapis/bytestream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
)

func serve(t *testing.T, store *Store) *grpc.ClientConn {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	bytestream.RegisterByteStreamServer(srv, NewByteStream(store))
	logstreampb.RegisterLogStreamServiceServer(srv, NewService(store))
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func TestNames(t *testing.T) {
	for name, want := range map[string]streamName{
		"logstreams/abc":             {id: "abc"},
		"a/b/logstreams/abc":         {instance: "a/b", id: "abc"},
		"a/logstreams/abc/tok":       {instance: "a", id: "abc", token: "tok"},
		"logstreams/logstreams/abc":  {instance: "logstreams", id: "abc"},
		"x/logstreams/logstreams/ab": {instance: "x/logstreams", id: "ab"},
	} {
		got, ok := parseName(name)
		if !ok || got != want {
			t.Errorf("parseName(%q) = %+v, %v; want %+v", name, got, ok, want)
		}
	}
	// CAS names must never be taken for log streams.
	for _, name := range []string{
		"blobs/0123/4", "logstreams/blobs/0123/4", "i/uploads/u/blobs/0123/4", "logstreams", "logstreams/", "a/logstreams//t",
	} {
		if IsName(name) {
			t.Errorf("IsName(%q) = true", name)
		}
	}
}

// A reader attached before anything is written sees each chunk as soon
// as it is written, well before the writer finishes.
func TestReadFollowsLiveWrites(t *testing.T) {
	store := NewStore(Options{})
	conn := serve(t, store)
	ls, err := logstreampb.NewLogStreamServiceClient(conn).CreateLogStream(t.Context(), &logstreampb.CreateLogStreamRequest{Parent: "inst"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ls.Name, "inst/logstreams/") || !strings.HasPrefix(ls.WriteResourceName, ls.Name+"/") {
		t.Fatalf("names %q, %q", ls.Name, ls.WriteResourceName)
	}
	bs := bytestream.NewByteStreamClient(conn)
	reader, err := bs.Read(t.Context(), &bytestream.ReadRequest{ResourceName: ls.Name})
	if err != nil {
		t.Fatal(err)
	}
	writer, err := bs.Write(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	offset := int64(0)
	for _, line := range []string{"first\n", "second\n"} {
		if err := writer.Send(&bytestream.WriteRequest{ResourceName: ls.WriteResourceName, WriteOffset: offset, Data: []byte(line)}); err != nil {
			t.Fatal(err)
		}
		offset += int64(len(line))
		got, err := reader.Recv()
		if err != nil || string(got.Data) != line {
			t.Fatalf("read %q, %v while writing; want %q", got.GetData(), err, line)
		}
	}
	if err := writer.Send(&bytestream.WriteRequest{WriteOffset: offset, FinishWrite: true}); err != nil {
		t.Fatal(err)
	}
	resp, err := writer.CloseAndRecv()
	if err != nil || resp.CommittedSize != offset {
		t.Fatalf("finish: %v, %v", resp, err)
	}
	if _, err := reader.Recv(); err != io.EOF {
		t.Fatalf("after finish: %v, want EOF", err)
	}
	// A late reader gets the whole stream from an offset, then EOF.
	late, _ := bs.Read(t.Context(), &bytestream.ReadRequest{ResourceName: ls.Name, ReadOffset: 6})
	got, err := late.Recv()
	if err != nil || string(got.Data) != "second\n" {
		t.Fatalf("late read %q, %v", got.GetData(), err)
	}
}

func TestWriteChecks(t *testing.T) {
	store := NewStore(Options{})
	ls := store.Create("")
	bs := bytestream.NewByteStreamClient(serve(t, store))
	write := func(name string, offset int64) codes.Code {
		w, err := bs.Write(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		w.Send(&bytestream.WriteRequest{ResourceName: name, WriteOffset: offset, Data: []byte("x"), FinishWrite: true})
		_, err = w.CloseAndRecv()
		return status.Code(err)
	}
	if c := write(ls.Name+"/wrongtoken", 0); c != codes.NotFound {
		t.Errorf("wrong token: %v", c)
	}
	if c := write(ls.Name, 0); c != codes.InvalidArgument {
		t.Errorf("read name used for writing: %v", c)
	}
	if c := write(ls.WriteResourceName, 5); c != codes.InvalidArgument {
		t.Errorf("write past the end: %v", c)
	}
	if c := write(ls.WriteResourceName, 0); c != codes.OK {
		t.Errorf("good write: %v", c)
	}
	if c := write(ls.WriteResourceName, 1); c != codes.FailedPrecondition {
		t.Errorf("write after finish: %v", c)
	}
	st, err := bs.QueryWriteStatus(t.Context(), &bytestream.QueryWriteStatusRequest{ResourceName: ls.WriteResourceName})
	if err != nil || st.CommittedSize != 1 || !st.Complete {
		t.Errorf("query write status %v, %v", st, err)
	}
	r, _ := bs.Read(t.Context(), &bytestream.ReadRequest{ResourceName: "logstreams/nosuch"})
	if _, err := r.Recv(); status.Code(err) != codes.NotFound {
		t.Errorf("unknown stream: %v", err)
	}
}

// Finish from the scheduler side ends a blocked reader.
func TestFinishEndsBlockedReader(t *testing.T) {
	store := NewStore(Options{})
	ls := store.Create("")
	bs := bytestream.NewByteStreamClient(serve(t, store))
	r, err := bs.Read(t.Context(), &bytestream.ReadRequest{ResourceName: ls.Name})
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(50*time.Millisecond, func() { store.Finish(ls.Name) })
	if _, err := r.Recv(); err != io.EOF {
		t.Fatalf("got %v, want EOF", err)
	}
}

func TestBufferIsBounded(t *testing.T) {
	st := newStream("")
	var all []byte
	for i := 0; i < 100; i++ {
		chunk := []byte(strings.Repeat(string(rune('a'+i%26)), 1+i%37))
		all = append(all, chunk...)
		st.appendData(chunk, 100)
		if len(st.data) > 100 || cap(st.data) > 200 {
			t.Fatalf("buffer %d bytes, capacity %d", len(st.data), cap(st.data))
		}
		if st.end() != int64(len(all)) || string(st.data) != string(all[len(all)-len(st.data):]) {
			t.Fatalf("after %d appends: start %d, data %q", i+1, st.start, st.data)
		}
	}
	// Reading from the beginning skips to the oldest byte kept.
	data, at := st.from(0, 1000)
	if at != st.start || string(data) != string(all[st.start:]) {
		t.Fatalf("from(0) = %d bytes at %d", len(data), at)
	}
	st.appendData([]byte(strings.Repeat("z", 250)), 100)
	if string(st.data) != strings.Repeat("z", 100) || st.end() != int64(len(all)+250) {
		t.Fatal("a write bigger than the buffer")
	}
}

func TestFinishedStreamsExpire(t *testing.T) {
	now := time.Unix(1000, 0)
	store := NewStore(Options{Retention: time.Minute, Now: func() time.Time { return now }})
	old := store.Create("")
	store.Finish(old.Name)
	running := store.Create("")
	now = now.Add(2 * time.Minute)
	store.Create("")
	if store.Len() != 2 {
		t.Fatalf("%d streams, want the running and the new one", store.Len())
	}
	if _, _, err := store.committed(streamName{id: strings.TrimPrefix(running.Name, "logstreams/"), token: running.WriteResourceName[len(running.Name)+1:]}); err != nil {
		t.Fatalf("running stream expired: %v", err)
	}
}

func TestFinishedStreamsAreBoundedTogether(t *testing.T) {
	store := NewStore(Options{MaxBufferBytes: 100, MaxFinishedBytes: 250})
	for i := 0; i < 10; i++ {
		ls := store.Create("")
		n, _ := parseWriteName(ls.WriteResourceName)
		if _, err := store.append(n, 0, []byte(strings.Repeat("x", 100)), true); err != nil {
			t.Fatal(err)
		}
	}
	store.Create("")
	// At most 250 bytes of finished streams (two full ones) plus the new
	// one survive; the oldest went first.
	if store.Len() > 3 {
		t.Fatalf("%d streams held", store.Len())
	}
}
