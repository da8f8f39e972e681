package worker

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"github.com/sandbarn/sandbarn/proto/remoteworker"
	"github.com/sandbarn/sandbarn/storage/logstream"
	"google.golang.org/genproto/googleapis/bytestream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/types/known/anypb"
)

func serveLogs(t *testing.T, logs *logstream.Store) bytestream.ByteStreamClient {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	bytestream.RegisterByteStreamServer(srv, logstream.NewByteStream(logs))
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient("passthrough:///logs",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return bytestream.NewByteStreamClient(conn)
}

// A client reading the stdout stream sees the first line while the
// action still runs: the action waits for the test to have read it.
func TestExecuteStreamsOutputLive(t *testing.T) {
	env := newTestEnv(t)
	logs := logstream.NewStore(logstream.Options{})
	bs := serveLogs(t, logs)
	env.executor.cfg.LogWriter = bs
	env.executor.cfg.LogPollInterval = 10 * time.Millisecond
	stdout, stderr := logs.Create("prefix/suffix"), logs.Create("prefix/suffix")

	cmd := &remoteexecution.Command{Arguments: sh(`echo first; while [ ! -e go ]; do sleep 0.02; done; echo second`)}
	desired := env.action(cmd, &remoteexecution.Directory{}, time.Minute, false)
	names, _ := anypb.New(&remoteworker.LogStreamWriteNames{
		StdoutWriteResourceName: stdout.WriteResourceName, StderrWriteResourceName: stderr.WriteResourceName,
	})
	desired.AuxiliaryMetadata = append(desired.AuxiliaryMetadata, names)
	done := make(chan *remoteexecution.ExecuteResponse, 1)
	go func() {
		resp, _ := env.execute(desired)
		done <- resp
	}()

	read, err := bs.Read(t.Context(), &bytestream.ReadRequest{ResourceName: stdout.Name})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := read.Recv()
	if err != nil || string(msg.Data) != "first\n" {
		t.Fatalf("live read %q, %v", msg.GetData(), err)
	}
	select {
	case <-done:
		t.Fatal("action finished before its first line was read")
	default:
	}
	if err := os.WriteFile(filepath.Join(env.buildDir, "0", "root", "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var rest []byte
	for {
		msg, err := read.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rest = append(rest, msg.Data...)
	}
	if string(rest) != "second\n" {
		t.Fatalf("rest of stdout %q", rest)
	}
	resp := <-done
	if resp.Status.GetCode() != 0 || env.read(resp.Result.StdoutDigest) != "first\nsecond\n" {
		t.Fatalf("result %v", resp)
	}
	// The test runner writes no stderr file, so the worker never opened
	// that stream; the scheduler finishes it when the action completes.
	logs.Finish(stderr.Name)
	r, _ := bs.Read(t.Context(), &bytestream.ReadRequest{ResourceName: stderr.Name})
	if msg, err := r.Recv(); err != io.EOF {
		t.Fatalf("stderr %q, %v; want EOF", msg.GetData(), err)
	}
}

// A failing log stream does not fail the action.
func TestExecuteSurvivesBrokenLogStream(t *testing.T) {
	env := newTestEnv(t)
	env.executor.cfg.LogWriter = serveLogs(t, logstream.NewStore(logstream.Options{}))
	env.executor.cfg.Logf = func(string, ...any) {}
	desired := env.action(&remoteexecution.Command{Arguments: sh("echo hi")}, &remoteexecution.Directory{}, time.Minute, false)
	names, _ := anypb.New(&remoteworker.LogStreamWriteNames{StdoutWriteResourceName: "logstreams/nosuch/token"})
	desired.AuxiliaryMetadata = append(desired.AuxiliaryMetadata, names)
	resp, _ := env.execute(desired)
	if resp.Status.GetCode() != 0 || env.read(resp.Result.StdoutDigest) != "hi\n" {
		t.Fatalf("result %v", resp)
	}
}
