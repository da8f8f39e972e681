package configuration

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/sandbarn/sandbarn/storage"
	"google.golang.org/grpc"
)

// kind is what a BlobAccess is built to hold: a CAS verifies content and
// shares blobs across instance names, an Action Cache stores ActionResults
// keyed by instance name and action digest. Each backend has a constructor
// for either.
type kind int

const (
	kindCAS kind = iota
	kindActionCache
)

// Factory builds BlobAccesses from configuration and owns what they hold
// open: local stores and gRPC connections. Backends built by one Factory
// share a connection per address, as the CAS and Action Cache of one
// storage server should, and two local backends may not use one
// directory.
type Factory struct {
	conns       map[string]*grpc.ClientConn
	directories map[string]bool
	// closers are released by Close, newest first.
	closers []io.Closer
}

// NewFactory returns an empty Factory. Use one per program and Close it
// when the program stops using the storage it built.
func NewFactory() *Factory {
	return &Factory{conns: map[string]*grpc.ClientConn{}, directories: map[string]bool{}}
}

// NewCAS builds the Content Addressable Storage that c describes.
func (f *Factory) NewCAS(c *BlobAccessConfiguration) (storage.BlobAccess, error) {
	return f.newBlobAccess(c, kindCAS)
}

// NewActionCache builds the Action Cache that c describes.
func (f *Factory) NewActionCache(c *BlobAccessConfiguration) (storage.BlobAccess, error) {
	return f.newBlobAccess(c, kindActionCache)
}

// newBlobAccess builds the one backend or decorator c sets; decorators
// call it again for the configurations they wrap. Errors are prefixed
// with the field's name, so nested ones read as a path.
func (f *Factory) newBlobAccess(c *BlobAccessConfiguration, k kind) (storage.BlobAccess, error) {
	name, err := c.chosen()
	if err != nil {
		return nil, err
	}
	var ba storage.BlobAccess
	switch {
	case c.Local != nil:
		ba, err = f.newLocal(c.Local, k)
	case c.GRPC != nil:
		ba, err = f.newGRPC(c.GRPC, k)
	case c.Memory != nil:
		ba = newMemory(c.Memory, k)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return ba, nil
}

// Close releases every store and connection the Factory opened; the
// BlobAccesses it built must not be used afterwards.
func (f *Factory) Close() error {
	var errs []error
	for _, c := range slices.Backward(f.closers) {
		errs = append(errs, c.Close())
	}
	f.closers = nil
	return errors.Join(errs...)
}
