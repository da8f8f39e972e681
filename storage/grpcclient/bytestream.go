package grpcclient

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"

	"google.golang.org/genproto/googleapis/bytestream"
	"google.golang.org/grpc/status"

	"github.com/sandbarn/sandbarn/errkind"
	"github.com/sandbarn/sandbarn/storage/digest"
)

// readResourceName is "{instance}/blobs/{hash}/{size}".
func (c *CAS) readResourceName(d digest.Digest) string {
	return prefixed(digest.JoinInstance(c.instance, d.Instance), fmt.Sprintf("blobs/%s/%d", d.Hash, d.Size))
}

// writeResourceName uses a fresh UUID per upload, as REAPI asks.
func (c *CAS) writeResourceName(d digest.Digest) string {
	return prefixed(digest.JoinInstance(c.instance, d.Instance), fmt.Sprintf("uploads/%s/blobs/%s/%d", newUUID(), d.Hash, d.Size))
}

func prefixed(instance, rest string) string {
	if instance == "" {
		return rest
	}
	return instance + "/" + rest
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// maxReadResumes bounds how often one read is reopened after a break.
const maxReadResumes = 3

// streamRead opens a ByteStream Read; the first message is awaited here so
// that NotFound is reported by Get rather than by the first Read.
func (c *CAS) streamRead(ctx context.Context, d digest.Digest) (io.ReadCloser, error) {
	ctx, cancel := context.WithCancel(ctx)
	r := &streamReader{ctx: ctx, cancel: cancel, c: c, d: d}
	if err := r.open(); err != nil {
		cancel()
		return nil, err
	}
	for len(r.buf) == 0 {
		if err := r.next(); err != nil {
			cancel()
			if errors.Is(err, io.EOF) {
				err = errkind.New(errkind.DataLoss, "blob %s: server sent no data", d)
			}
			return nil, err
		}
	}
	return verify(d, r), nil
}

// streamReader turns ReadResponses into an io.Reader, reopening the stream
// at the current offset when it breaks.
type streamReader struct {
	ctx     context.Context
	cancel  context.CancelFunc
	c       *CAS
	d       digest.Digest
	stream  bytestream.ByteStream_ReadClient
	buf     []byte
	offset  int64 // bytes received so far
	resumes int
}

func (r *streamReader) open() error {
	stream, err := r.c.bs.Read(r.ctx, &bytestream.ReadRequest{ResourceName: r.c.readResourceName(r.d), ReadOffset: r.offset})
	r.stream = stream
	return errkind.FromStatus(err)
}

// next receives one message into buf, resuming after a retryable break.
func (r *streamReader) next() error {
	for {
		msg, err := r.stream.Recv()
		if err == nil {
			r.buf = msg.Data
			r.offset += int64(len(msg.Data))
			return nil
		}
		err = errkind.FromStatus(err)
		if errors.Is(err, io.EOF) || !retryable(err) || r.resumes == maxReadResumes || r.ctx.Err() != nil {
			return err
		}
		r.resumes++
		if oerr := r.open(); oerr != nil {
			return err
		}
	}
}

func (r *streamReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if err := r.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// Close ends the stream; reading stops at once even mid-blob.
func (r *streamReader) Close() error {
	r.cancel()
	return nil
}

// maxWriteAttempts bounds how often one upload is resumed.
const maxWriteAttempts = 4

// streamWrite uploads through ByteStream Write in chunks. When r can seek
// and the stream breaks, it asks QueryWriteStatus and resumes from what the
// server committed instead of sending everything again.
func (c *CAS) streamWrite(ctx context.Context, d digest.Digest, r io.Reader) error {
	name := c.writeResourceName(d)
	seeker, _ := r.(io.Seeker)
	var start int64
	if seeker != nil {
		pos, err := seeker.Seek(0, io.SeekCurrent)
		if err != nil {
			seeker = nil
		}
		start = pos
	}
	var offset int64
	for attempt := 1; ; attempt++ {
		err := c.writeFrom(ctx, d, name, r, offset)
		if err == nil || seeker == nil || attempt == maxWriteAttempts || !retryable(err) || ctx.Err() != nil {
			return err
		}
		resp, qerr := c.bs.QueryWriteStatus(ctx, &bytestream.QueryWriteStatusRequest{ResourceName: name})
		if qerr != nil {
			return err
		}
		if resp.Complete {
			return nil
		}
		offset = resp.CommittedSize
		if _, serr := seeker.Seek(start+offset, io.SeekStart); serr != nil {
			return err
		}
	}
}

// retryable reports errors that a broken connection or a busy server
// produce, as opposed to a refusal of the request.
func retryable(err error) bool {
	// Only errors that carry a status, the server's or this client's
	// checks of its answers, can be cured by resuming; a plain error comes
	// from the source being uploaded. errkind.Of cannot tell them apart
	// (both may be Unknown), so this client edge asks gRPC.
	if _, ok := status.FromError(err); !ok {
		return false
	}
	switch errkind.Of(err) {
	case errkind.Unavailable, errkind.Aborted, errkind.Internal, errkind.Unknown:
		return true
	}
	return false
}

// writeFrom sends the blob from offset on one Write stream. A server that
// already holds the blob may end the stream early; that is success.
func (c *CAS) writeFrom(ctx context.Context, d digest.Digest, name string, r io.Reader, offset int64) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.bs.Write(ctx)
	if err != nil {
		return errkind.FromStatus(err)
	}
	buf := make([]byte, c.chunkBytes)
	first := true
	for {
		n, err := io.ReadFull(r, buf[:min(int64(len(buf)), d.Size-offset)])
		if err != nil && n == 0 && d.Size > offset {
			return fmt.Errorf("blob %s: read source at %d: %w", d, offset, err)
		}
		last := offset+int64(n) == d.Size
		if last {
			if err := expectEOF(d, r); err != nil {
				return err
			}
		}
		req := &bytestream.WriteRequest{WriteOffset: offset, Data: buf[:n], FinishWrite: last}
		if first {
			req.ResourceName = name
			first = false
		}
		if err := stream.Send(req); err != nil {
			if errors.Is(err, io.EOF) {
				// The server ended the stream; its reason is in the response.
				return c.finishWrite(stream, d)
			}
			return errkind.FromStatus(err)
		}
		offset += int64(n)
		if last {
			return c.finishWrite(stream, d)
		}
	}
}

// expectEOF refuses a source longer than the digest says.
func expectEOF(d digest.Digest, r io.Reader) error {
	var one [1]byte
	if n, _ := io.ReadFull(r, one[:]); n > 0 {
		return errkind.New(errkind.Invalid, "blob %s: source is longer than %d bytes", d, d.Size)
	}
	return nil
}

func (c *CAS) finishWrite(stream bytestream.ByteStream_WriteClient, d digest.Digest) error {
	resp, err := stream.CloseAndRecv()
	if err != nil {
		return errkind.FromStatus(err)
	}
	if resp.CommittedSize != d.Size {
		return errkind.New(errkind.Internal, "blob %s: server committed %d bytes", d, resp.CommittedSize)
	}
	return nil
}
