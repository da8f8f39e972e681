package logstream

import (
	"context"
	"errors"
	"io"

	"google.golang.org/genproto/googleapis/bytestream"

	"github.com/sandbarn/sandbarn/errkind"
)

// readChunkBytes bounds one ReadResponse.
const readChunkBytes = 64 << 10

// ByteStream serves reads and writes of a Store's streams. Route the
// ByteStream resource names for which IsName is true to it.
type ByteStream struct {
	bytestream.UnimplementedByteStreamServer
	store *Store
}

// NewByteStream returns the ByteStream side of store.
func NewByteStream(store *Store) *ByteStream {
	return &ByteStream{store: store}
}

// Read sends a stream's data from read_offset as it is written, until the
// stream is finished or read_limit bytes were sent.
func (b *ByteStream) Read(req *bytestream.ReadRequest, srv bytestream.ByteStream_ReadServer) error {
	n, err := parseReadName(req.ResourceName)
	if err != nil {
		return err
	}
	if req.ReadOffset < 0 || req.ReadLimit < 0 {
		return errkind.New(errkind.Invalid, "negative read_offset %d or read_limit %d", req.ReadOffset, req.ReadLimit)
	}
	offset, left := req.ReadOffset, req.ReadLimit
	for req.ReadLimit == 0 || left > 0 {
		chunk := readChunkBytes
		if req.ReadLimit > 0 {
			chunk = int(min(left, int64(chunk)))
		}
		data, at, done, err := b.store.next(srv.Context(), n.readName(), offset, chunk)
		if err != nil || done {
			return err
		}
		if err := srv.Send(&bytestream.ReadResponse{Data: data}); err != nil {
			return err
		}
		offset = at + int64(len(data))
		left -= int64(len(data))
	}
	return nil
}

// Write appends each request's data to the stream as it arrives, so
// readers see it at once; finish_write ends the stream.
func (b *ByteStream) Write(srv bytestream.ByteStream_WriteServer) error {
	var n streamName
	var committed int64
	for first := true; ; first = false {
		req, err := srv.Recv()
		if errors.Is(err, io.EOF) {
			// The writer went away without finishing; the stream stays
			// open for a retry from the committed size.
			return errkind.New(errkind.Invalid, "write stream ended without finish_write")
		}
		if err != nil {
			return err
		}
		if first || req.ResourceName != "" {
			if n, err = parseWriteName(req.ResourceName); err != nil {
				return err
			}
		}
		committed, err = b.store.append(n, req.WriteOffset, req.Data, req.FinishWrite)
		if err != nil {
			return err
		}
		if req.FinishWrite {
			return srv.SendAndClose(&bytestream.WriteResponse{CommittedSize: committed})
		}
	}
}

// QueryWriteStatus reports how much of a stream was written, so a writer
// can resume.
func (b *ByteStream) QueryWriteStatus(_ context.Context, req *bytestream.QueryWriteStatusRequest) (*bytestream.QueryWriteStatusResponse, error) {
	n, err := parseWriteName(req.ResourceName)
	if err != nil {
		return nil, err
	}
	size, done, err := b.store.committed(n)
	if err != nil {
		return nil, err
	}
	return &bytestream.QueryWriteStatusResponse{CommittedSize: size, Complete: done}, nil
}
