package grpcservers_test

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"testing"

	"google.golang.org/genproto/googleapis/bytestream"
	"google.golang.org/grpc/codes"

	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
	"github.com/sandbarn/sandbarn/storage/grpcservers"
)

// generated is blob content computed from the offset, so any range of a
// huge blob can be produced again without holding it in memory.
type generated struct {
	seed uint64
	size int64
	off  int64
}

func (g *generated) word(i int64) uint64 {
	x := uint64(i) ^ g.seed
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// Read fills p a word at a time; only the ragged ends go byte by byte.
func (g *generated) Read(p []byte) (int, error) {
	if g.off >= g.size {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), g.size-g.off))
	var b [8]byte
	for i := 0; i < n; {
		o := g.off + int64(i)
		if o%8 == 0 && n-i >= 8 {
			binary.LittleEndian.PutUint64(p[i:], g.word(o/8))
			i += 8
			continue
		}
		binary.LittleEndian.PutUint64(b[:], g.word(o/8))
		p[i] = b[o%8]
		i++
	}
	g.off += int64(n)
	return n, nil
}

func generatedDigest(t *testing.T, seed uint64, size int64) digest.Digest {
	t.Helper()
	d := digest.Digest{Size: size}
	h := d.NewHasher()
	if _, err := io.CopyBuffer(h, &generated{seed: seed, size: size}, make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	d, err := digest.New("", 0, hex.EncodeToString(h.Sum(nil)), size)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func uploadName(instance, uuid string, d digest.Digest) string {
	return fmt.Sprintf("%suploads/%s/blobs/%s/%d", instance, uuid, d.Hash, d.Size)
}

// sendRange writes [from, to) of g on stream, finishing when to is the end.
func sendRange(stream bytestream.ByteStream_WriteClient, name string, g *generated, from, to int64) error {
	g.off = from
	buf := make([]byte, 1<<20)
	for off := from; off < to; {
		n, _ := g.Read(buf[:min(int64(len(buf)), to-off)])
		req := &bytestream.WriteRequest{WriteOffset: off, Data: buf[:n], FinishWrite: off+int64(n) == g.size}
		if off == from {
			req.ResourceName = name
		}
		if err := stream.Send(req); err != nil {
			return err
		}
		off += int64(n)
	}
	return nil
}

// TestByteStreamResumedHugeUpload writes a 1 GiB blob over three streams,
// the first of which is dropped mid-way, resuming each time from what
// QueryWriteStatus reports, then reads it back and checks its hash. Memory
// stays bounded: content comes from a generator and lands on disk.
func TestByteStreamResumedHugeUpload(t *testing.T) {
	if testing.Short() {
		t.Skip("1 GiB upload skipped in -short mode")
	}
	const size = hugeUploadBytes
	conn, _, _ := serveLocal(t, grpcservers.Options{MaxMessageSizeBytes: 4 << 20})
	client := bytestream.NewByteStreamClient(conn)
	ctx := context.Background()
	d := generatedDigest(t, 7, size)
	g := &generated{seed: 7, size: size}
	name := uploadName("farm/main/", "2b0c2d38-7d0e-4a43-9f29-1c5a9a1b0001", d)

	// Stream 1: send 30%, then drop the connection's stream abruptly.
	ctx1, cancel := context.WithCancel(ctx)
	s1, err := client.Write(ctx1)
	if err != nil {
		t.Fatal(err)
	}
	if err := sendRange(s1, name, g, 0, size*3/10); err != nil {
		t.Fatal(err)
	}
	cancel()
	committed := queryCommitted(t, client, name, false)
	if committed > size*3/10 {
		t.Fatalf("committed %d after sending 30%% of %d", committed, size)
	}

	// Stream 2: continue to 70% and close without finishing.
	s2, err := client.Write(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := sendRange(s2, name, g, committed, size*7/10); err != nil {
		t.Fatal(err)
	}
	_, err = s2.CloseAndRecv()
	wantCode(t, err, codes.InvalidArgument, "stream closed without finish_write")
	if c := queryCommitted(t, client, name, false); c != size*7/10 {
		t.Fatalf("committed %d after stream 2, want %d", c, size*7/10)
	}

	// Stream 3: the rest.
	s3, err := client.Write(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := sendRange(s3, name, g, size*7/10, size); err != nil {
		t.Fatal(err)
	}
	resp, err := s3.CloseAndRecv()
	if err != nil {
		t.Fatal(err)
	}
	if resp.CommittedSize != size {
		t.Fatalf("final committed size %d", resp.CommittedSize)
	}
	queryCommitted(t, client, name, true)

	// Read it back in two ranges and compare with the generator.
	r, err := client.Read(ctx, &bytestream.ReadRequest{ResourceName: fmt.Sprintf("farm/main/blobs/%s/%d", d.Hash, d.Size)})
	if err != nil {
		t.Fatal(err)
	}
	h := d.NewHasher()
	var n int64
	for {
		msg, err := r.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		h.Write(msg.Data)
		n += int64(len(msg.Data))
	}
	if err := d.Verify(hex.EncodeToString(h.Sum(nil)), n); err != nil {
		t.Fatal(err)
	}

	// A second upload of the same blob completes at once.
	s4, err := client.Write(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s4.Send(&bytestream.WriteRequest{ResourceName: uploadName("", "other", d), Data: []byte{1}}); err != nil {
		t.Fatal(err)
	}
	resp, err = s4.CloseAndRecv()
	if err != nil || resp.CommittedSize != size {
		t.Fatalf("upload of an existing blob: %v, %v", resp, err)
	}
}

func queryCommitted(t *testing.T, client bytestream.ByteStreamClient, name string, complete bool) int64 {
	t.Helper()
	resp, err := client.QueryWriteStatus(context.Background(), &bytestream.QueryWriteStatusRequest{ResourceName: name})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Complete != complete {
		t.Fatalf("QueryWriteStatus complete=%v, want %v", resp.Complete, complete)
	}
	return resp.CommittedSize
}

func TestByteStreamReadRanges(t *testing.T) {
	conn, cas, _ := serveLocal(t, grpcservers.Options{})
	client := bytestream.NewByteStreamClient(conn)
	data := make([]byte, 3<<20+17)
	g := &generated{seed: 1, size: int64(len(data))}
	io.ReadFull(g, data)
	d := digest.OfBytes("", data)
	if err := storage.PutBytes(context.Background(), cas, d, data); err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("a/b/blobs/%s/%d", d.Hash, d.Size)
	for _, c := range []struct{ offset, limit, from, to int64 }{
		{0, 0, 0, d.Size},
		{5, 0, 5, d.Size},
		{5, 10, 5, 15},
		{1 << 20, 2 << 20, 1 << 20, 3 << 20},
		{d.Size, 0, d.Size, d.Size},
		{d.Size - 1, 100, d.Size - 1, d.Size},
	} {
		got, err := readAll(client, &bytestream.ReadRequest{ResourceName: name, ReadOffset: c.offset, ReadLimit: c.limit})
		if err != nil {
			t.Fatalf("offset %d limit %d: %v", c.offset, c.limit, err)
		}
		if string(got) != string(data[c.from:c.to]) {
			t.Errorf("offset %d limit %d: wrong %d bytes", c.offset, c.limit, len(got))
		}
	}
	for what, req := range map[string]*bytestream.ReadRequest{
		"negative offset": {ResourceName: name, ReadOffset: -1},
		"negative limit":  {ResourceName: name, ReadLimit: -1},
		"upload name":     {ResourceName: uploadName("", "u", d)},
		"compressed":      {ResourceName: fmt.Sprintf("compressed-blobs/zstd/%s/%d", d.Hash, d.Size)},
		"empty name":      {},
		"negative size":   {ResourceName: fmt.Sprintf("blobs/%s/-1", d.Hash)},
		"sha1 function":   {ResourceName: fmt.Sprintf("blobs/sha1/%s/%d", d.Hash, d.Size)},
	} {
		_, err := readAll(client, req)
		wantCode(t, err, codes.InvalidArgument, "Read with "+what)
	}
	_, err := readAll(client, &bytestream.ReadRequest{ResourceName: name, ReadOffset: d.Size + 1})
	wantCode(t, err, codes.OutOfRange, "Read past the end")
	_, err = readAll(client, &bytestream.ReadRequest{ResourceName: fmt.Sprintf("blobs/%s/5", d.Hash)})
	wantCode(t, err, codes.NotFound, "Read of a missing blob")
}

func readAll(client bytestream.ByteStreamClient, req *bytestream.ReadRequest) ([]byte, error) {
	stream, err := client.Read(context.Background(), req)
	if err != nil {
		return nil, err
	}
	var out []byte
	for {
		msg, err := stream.Recv()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, msg.Data...)
	}
}

func TestByteStreamWriteBadInput(t *testing.T) {
	conn, cas, _ := serveLocal(t, grpcservers.Options{})
	client := bytestream.NewByteStreamClient(conn)
	data := []byte("some content")
	d := digest.OfBytes("", data)
	wrong := digest.OfBytes("", []byte("some contenT"))
	write := func(reqs ...*bytestream.WriteRequest) error {
		stream, err := client.Write(context.Background())
		if err != nil {
			return err
		}
		for _, r := range reqs {
			if err := stream.Send(r); err != nil {
				break
			}
		}
		_, err = stream.CloseAndRecv()
		return err
	}
	cases := map[string][]*bytestream.WriteRequest{
		"wrong content":           {{ResourceName: uploadName("", "u1", wrong), Data: data, FinishWrite: true}},
		"wrong content in pieces": {{ResourceName: uploadName("", "u11", wrong), Data: data[:6]}, {WriteOffset: 6, Data: data[6:], FinishWrite: true}},
		"too much data":           {{ResourceName: uploadName("", "u2", d), Data: append(data, 'x'), FinishWrite: true}},
		"too little":              {{ResourceName: uploadName("", "u3", d), Data: data[:3], FinishWrite: true}},
		"wrong offset":            {{ResourceName: uploadName("", "u4", d), Data: data[:3]}, {WriteOffset: 5, Data: data[5:], FinishWrite: true}},
		"changed name":            {{ResourceName: uploadName("", "u5", d), Data: data[:3]}, {ResourceName: uploadName("", "u6", d), WriteOffset: 3, Data: data[3:], FinishWrite: true}},
		"read name":               {{ResourceName: fmt.Sprintf("blobs/%s/%d", d.Hash, d.Size), Data: data, FinishWrite: true}},
		"compressed":              {{ResourceName: fmt.Sprintf("uploads/u7/compressed-blobs/zstd/%s/%d", d.Hash, d.Size), Data: data, FinishWrite: true}},
		"negative size":           {{ResourceName: fmt.Sprintf("uploads/u8/blobs/%s/-12", d.Hash), Data: data, FinishWrite: true}},
		"bad hash":                {{ResourceName: "uploads/u9/blobs/xyz/12", Data: data, FinishWrite: true}},
		"md5 function":            {{ResourceName: fmt.Sprintf("uploads/u9/blobs/md5/%s/12", d.Hash), Data: data, FinishWrite: true}},
		"no finish":               {{ResourceName: uploadName("", "u10", d), Data: data}},
	}
	for what, reqs := range cases {
		wantCode(t, write(reqs...), codes.InvalidArgument, "Write with "+what)
	}
	if missing, _ := cas.FindMissing(context.Background(), []digest.Digest{d, wrong}); len(missing) != 2 {
		t.Fatalf("bad writes stored blobs: missing %v", missing)
	}
	// A correct upload in two messages still works.
	if err := write(&bytestream.WriteRequest{ResourceName: uploadName("x/", "ok", d), Data: data[:4]}, &bytestream.WriteRequest{WriteOffset: 4, Data: data[4:], FinishWrite: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.QueryWriteStatus(context.Background(), &bytestream.QueryWriteStatusRequest{ResourceName: "x/blobs/abc"}); err == nil {
		t.Error("QueryWriteStatus accepted a malformed name")
	}
}
