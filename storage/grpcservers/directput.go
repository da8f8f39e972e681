package grpcservers

import (
	"context"
	"errors"
	"io"

	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
)

// errStreamDropped ends a direct Put whose Write stream broke; the upload
// file still holds the data for a resumed stream.
var errStreamDropped = errors.New("write stream ended before finish_write")

// directPut feeds an upload's data to the CAS while it arrives, next to the
// partial-upload file, so a stream that runs start to finish is stored
// without reading the whole blob back from that file. A nil *directPut does
// nothing, and a failing Put only switches the upload back to the file.
type directPut struct {
	pw     *io.PipeWriter
	result chan error
	failed bool
}

func startDirectPut(ctx context.Context, cas storage.BlobAccess, d digest.Digest) *directPut {
	pr, pw := io.Pipe()
	p := &directPut{pw: pw, result: make(chan error, 1)}
	go func() {
		err := cas.Put(ctx, d, pr)
		pr.CloseWithError(errStreamDropped)
		p.result <- err
	}()
	return p
}

func (p *directPut) write(data []byte) {
	if p == nil || p.failed {
		return
	}
	if _, err := p.pw.Write(data); err != nil {
		p.failed = true
	}
}

// finish returns the Put's result; nil means the blob is stored.
func (p *directPut) finish() error {
	if p == nil {
		return nil
	}
	p.pw.Close()
	err := <-p.result
	if err == nil && p.failed {
		err = errStreamDropped
	}
	return err
}

// abort makes the Put fail, so no partial blob is stored, and waits for it.
func (p *directPut) abort() {
	if p == nil {
		return
	}
	p.pw.CloseWithError(errStreamDropped)
	<-p.result
}
