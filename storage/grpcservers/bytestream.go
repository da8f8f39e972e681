package grpcservers

import (
	"bytes"
	"context"
	"errors"
	"io"

	"google.golang.org/genproto/googleapis/bytestream"

	"github.com/sandbarn/sandbarn/errkind"
	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
)

// readChunkBytes is the most data one ReadResponse carries; big enough
// to keep per-message overhead small, well below any sane message limit.
const readChunkBytes = 1 << 20

// ByteStream serves blob reads and resumable blob writes.
type ByteStream struct {
	bytestream.UnimplementedByteStreamServer
	cas     storage.BlobAccess
	opts    Options
	uploads *uploadStore
}

// NewByteStream returns the ByteStream service for cas. Register calls it.
func NewByteStream(cas storage.BlobAccess, opts Options) *ByteStream {
	opts = opts.withDefaults()
	return &ByteStream{cas: cas, opts: opts, uploads: newUploadStore(opts)}
}

// Read sends the blob from read_offset, at most read_limit bytes (0 means
// to the end).
func (s *ByteStream) Read(req *bytestream.ReadRequest, stream bytestream.ByteStream_ReadServer) error {
	name, err := parseReadResourceName(req.ResourceName)
	if err != nil {
		return err
	}
	d := name.digest
	if req.ReadOffset < 0 || req.ReadLimit < 0 {
		return errkind.New(errkind.Invalid, "negative read_offset %d or read_limit %d", req.ReadOffset, req.ReadLimit)
	}
	if req.ReadOffset > d.Size {
		return errkind.New(errkind.OutOfRange, "read_offset %d is past the end of blob %s", req.ReadOffset, d)
	}
	length := d.Size - req.ReadOffset
	if req.ReadLimit > 0 && req.ReadLimit < length {
		length = req.ReadLimit
	}
	r, err := s.cas.Get(stream.Context(), d)
	if err != nil {
		return err
	}
	defer r.Close()
	if err := skip(r, req.ReadOffset); err != nil {
		return errkind.New(errkind.Internal, "blob %s: seek to %d: %w", d, req.ReadOffset, err)
	}
	return sendChunks(stream, r, d, length, min(readChunkBytes, s.opts.MaxMessageSizeBytes/2))
}

func skip(r io.Reader, n int64) error {
	if n == 0 {
		return nil
	}
	if sk, ok := r.(io.Seeker); ok {
		_, err := sk.Seek(n, io.SeekStart)
		return err
	}
	_, err := io.CopyN(io.Discard, r, n)
	return err
}

// sendChunks sends exactly length bytes; a backend that ends early is a
// DataLoss error rather than a silently short blob.
func sendChunks(stream bytestream.ByteStream_ReadServer, r io.Reader, d digest.Digest, length int64, chunk int) error {
	buf := make([]byte, min(int64(chunk), length))
	for length > 0 {
		n, err := io.ReadFull(r, buf[:min(int64(len(buf)), length)])
		if err != nil {
			return errkind.New(errkind.DataLoss, "blob %s ended %d bytes early: %w", d, length-int64(n), err)
		}
		if err := stream.Send(&bytestream.ReadResponse{Data: buf[:n]}); err != nil {
			return err
		}
		length -= int64(n)
	}
	return nil
}

// Write receives a blob into a partial upload and stores it in the CAS
// once finish_write arrives and the content matches the digest. A blob the
// CAS already holds completes at once.
func (s *ByteStream) Write(stream bytestream.ByteStream_WriteServer) error {
	ctx := stream.Context()
	req, err := stream.Recv()
	if err != nil {
		return err
	}
	name, err := parseWriteResourceName(req.ResourceName)
	if err != nil {
		return err
	}
	if s.exists(ctx, name.digest) {
		return stream.SendAndClose(&bytestream.WriteResponse{CommittedSize: name.digest.Size})
	}
	if req.WriteOffset == 0 && req.FinishWrite {
		// The whole blob in one message (the usual case for small blobs):
		// nothing to resume, so skip the partial-upload file.
		if err := s.cas.Put(ctx, name.digest, bytes.NewReader(req.Data)); err != nil {
			return err
		}
		return stream.SendAndClose(&bytestream.WriteResponse{CommittedSize: name.digest.Size})
	}
	return s.writeResumable(stream, name, req)
}

// writeResumable receives a blob that spans several messages (or resumes
// an earlier stream) through a partial upload that outlives the stream.
func (s *ByteStream) writeResumable(stream bytestream.ByteStream_WriteServer, name resourceName, req *bytestream.WriteRequest) error {
	ctx := stream.Context()
	u, err := s.uploads.acquire(ctx, name)
	if err != nil {
		if ctx.Err() != nil {
			// The context's error has its own kind (Canceled or
			// DeadlineExceeded), which the edge maps to its code.
			return err
		}
		return errkind.New(errkind.Internal, "upload %s: %w", req.ResourceName, err)
	}
	var direct *directPut
	if req.WriteOffset == 0 {
		direct = startDirectPut(ctx, s.cas, name.digest)
	}
	done, err := s.receive(stream, u, req, direct)
	if !done {
		// The stream broke or was refused: keep what was committed so the
		// client can resume after QueryWriteStatus.
		direct.abort()
		s.uploads.release(u)
		return err
	}
	if err == nil {
		err = s.store(ctx, u, direct)
	} else {
		direct.abort()
	}
	if err != nil && !errkind.Is(err, errkind.Invalid) {
		// Storage trouble, not the client's data: keep it for a retry.
		s.uploads.release(u)
		return err
	}
	s.uploads.discard(u)
	if err != nil {
		return err
	}
	return stream.SendAndClose(&bytestream.WriteResponse{CommittedSize: name.digest.Size})
}

// store completes a fully received upload: through the direct Put when one
// ran, otherwise (or when it failed for a reason other than the content)
// from the upload file.
func (s *ByteStream) store(ctx context.Context, u *partialUpload, direct *directPut) error {
	if direct != nil {
		err := direct.finish()
		if err == nil || errkind.Is(err, errkind.Invalid) {
			return err
		}
	}
	return s.commit(ctx, u)
}

// receive appends requests to u until finish_write. done reports that the
// upload reached its end (successfully or with content that can never
// become a valid blob, so it should be discarded).
func (s *ByteStream) receive(stream bytestream.ByteStream_WriteServer, u *partialUpload, req *bytestream.WriteRequest, direct *directPut) (done bool, err error) {
	first := req.ResourceName
	if req.WriteOffset == 0 && u.committed > 0 {
		// The client starts over rather than resuming.
		if err := u.file.Truncate(0); err != nil {
			return false, errkind.New(errkind.Internal, "restart upload: %w", err)
		}
		u.committed = 0
	}
	for {
		if req.ResourceName != "" && req.ResourceName != first {
			return false, errkind.New(errkind.Invalid, "resource name changed within one Write stream from %q to %q", first, req.ResourceName)
		}
		if req.WriteOffset != u.committed {
			return false, errkind.New(errkind.Invalid, "write_offset %d does not match the committed size %d; ask QueryWriteStatus", req.WriteOffset, u.committed)
		}
		if u.committed+int64(len(req.Data)) > u.digest.Size {
			return true, errkind.New(errkind.Invalid, "upload %s: more data than the digest's %d bytes", first, u.digest.Size)
		}
		if _, err := u.file.WriteAt(req.Data, u.committed); err != nil {
			return false, errkind.New(errkind.Internal, "write upload data: %w", err)
		}
		u.committed += int64(len(req.Data))
		direct.write(req.Data)
		if req.FinishWrite {
			if u.committed != u.digest.Size {
				return true, errkind.New(errkind.Invalid, "upload %s finished at %d bytes, digest says %d", first, u.committed, u.digest.Size)
			}
			return true, nil
		}
		next, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return false, errkind.New(errkind.Invalid, "upload %s: stream ended at %d bytes without finish_write", first, u.committed)
		}
		if err != nil {
			return false, err
		}
		req = next
	}
}

// commit hands the received file to the CAS, which verifies the digest. A
// backend error without a kind is the server's fault, not the client's.
func (s *ByteStream) commit(ctx context.Context, u *partialUpload) error {
	err := s.cas.Put(ctx, u.digest, io.NewSectionReader(u.file, 0, u.committed))
	if err != nil && errkind.Of(err) == errkind.Unknown {
		return errkind.New(errkind.Internal, "store blob %s: %w", u.digest, err)
	}
	return err
}

func (s *ByteStream) exists(ctx context.Context, d digest.Digest) bool {
	missing, err := s.cas.FindMissing(ctx, []digest.Digest{d})
	return err == nil && len(missing) == 0
}

// QueryWriteStatus reports how much of an upload the server holds, so a
// client can resume; a blob already in the CAS is complete.
func (s *ByteStream) QueryWriteStatus(ctx context.Context, req *bytestream.QueryWriteStatusRequest) (*bytestream.QueryWriteStatusResponse, error) {
	name, err := parseWriteResourceName(req.ResourceName)
	if err != nil {
		return nil, err
	}
	if s.exists(ctx, name.digest) {
		return &bytestream.QueryWriteStatusResponse{CommittedSize: name.digest.Size, Complete: true}, nil
	}
	n, err := s.uploads.committed(ctx, name)
	if err != nil {
		// Only the context's error, whose kind the edge maps.
		return nil, err
	}
	return &bytestream.QueryWriteStatusResponse{CommittedSize: n}, nil
}
