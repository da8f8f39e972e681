package unpack

import (
	"context"
	"io"
)

// progressReader counts the uncompressed bytes of a layer and stops the
// unpack as soon as ctx is done, even inside a large file.
type progressReader struct {
	ctx    context.Context
	r      io.Reader
	layer  int
	done   int64
	report func(layer int, bytes int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	if err := p.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := p.r.Read(b)
	p.done += int64(n)
	if p.report != nil && n > 0 {
		p.report(p.layer, p.done)
	}
	return n, err
}
