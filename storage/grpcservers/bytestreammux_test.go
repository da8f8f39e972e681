package grpcservers_test

import (
	"testing"

	"google.golang.org/genproto/googleapis/bytestream"

	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
	"github.com/sandbarn/sandbarn/storage/grpcservers"
	"github.com/sandbarn/sandbarn/storage/logstream"
)

// One ByteStream service serves both blobs and log streams, each from
// its own store, with writes routed by their first request.
func TestByteStreamRoutesLogStreamsAwayFromTheCAS(t *testing.T) {
	logs := logstream.NewStore(logstream.Options{})
	opts := grpcservers.Options{ByteStreamRoutes: []grpcservers.ByteStreamRoute{
		{Match: logstream.IsName, Server: logstream.NewByteStream(logs)},
	}}
	conn, cas, _ := serveLocal(t, opts)
	bs := bytestream.NewByteStreamClient(conn)
	ctx := t.Context()

	// A blob goes to the CAS and reads back.
	blob := []byte("blob contents")
	d := digest.OfBytes("inst", blob)
	w, _ := bs.Write(ctx)
	w.Send(&bytestream.WriteRequest{ResourceName: "inst/uploads/0b7ce4a3-2e47-4f5b-9c51-6f4b0a0e1d11/blobs/" + d.Hash + "/13", Data: blob, FinishWrite: true})
	if _, err := w.CloseAndRecv(); err != nil {
		t.Fatalf("blob write: %v", err)
	}
	if got, err := storage.GetBytes(ctx, cas, d, 100); err != nil || string(got) != string(blob) {
		t.Fatalf("blob in CAS: %q, %v", got, err)
	}
	if got := readString(t, bs, "inst/blobs/"+d.Hash+"/13"); got != string(blob) {
		t.Fatalf("blob read %q", got)
	}

	// A log stream goes to the log store, in two requests.
	ls := logs.Create("inst")
	w, _ = bs.Write(ctx)
	w.Send(&bytestream.WriteRequest{ResourceName: ls.WriteResourceName, Data: []byte("hello ")})
	w.Send(&bytestream.WriteRequest{WriteOffset: 6, Data: []byte("world"), FinishWrite: true})
	if resp, err := w.CloseAndRecv(); err != nil || resp.CommittedSize != 11 {
		t.Fatalf("log write: %v, %v", resp, err)
	}
	if got := readString(t, bs, ls.Name); got != "hello world" {
		t.Fatalf("log read %q", got)
	}
	st, err := bs.QueryWriteStatus(ctx, &bytestream.QueryWriteStatusRequest{ResourceName: ls.WriteResourceName})
	if err != nil || !st.Complete {
		t.Fatalf("query write status: %v, %v", st, err)
	}
}

func readString(t *testing.T, bs bytestream.ByteStreamClient, name string) string {
	t.Helper()
	out, err := readAll(bs, &bytestream.ReadRequest{ResourceName: name})
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return string(out)
}
