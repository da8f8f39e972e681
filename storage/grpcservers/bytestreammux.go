package grpcservers

import (
	"context"

	"google.golang.org/genproto/googleapis/bytestream"
)

// ByteStreamRoute hands the ByteStream calls whose resource names Match
// accepts to Server instead of the CAS, e.g. log streams.
type ByteStreamRoute struct {
	Match  func(resourceName string) bool
	Server bytestream.ByteStreamServer
}

// byteStreamMux picks a server by resource name; the CAS takes whatever no
// route claims.
type byteStreamMux struct {
	bytestream.UnimplementedByteStreamServer
	cas    bytestream.ByteStreamServer
	routes []ByteStreamRoute
}

func newByteStreamMux(cas bytestream.ByteStreamServer, routes []ByteStreamRoute) *byteStreamMux {
	return &byteStreamMux{cas: cas, routes: routes}
}

func (m *byteStreamMux) serverFor(name string) bytestream.ByteStreamServer {
	for _, r := range m.routes {
		if r.Match(name) {
			return r.Server
		}
	}
	return m.cas
}

func (m *byteStreamMux) Read(req *bytestream.ReadRequest, srv bytestream.ByteStream_ReadServer) error {
	return m.serverFor(req.ResourceName).Read(req, srv)
}

// Write reads the first request to learn the resource name, then lets the
// chosen server receive it again as if it were first.
func (m *byteStreamMux) Write(srv bytestream.ByteStream_WriteServer) error {
	first, err := srv.Recv()
	if err != nil {
		return err
	}
	return m.serverFor(first.ResourceName).Write(&replayedWrite{ByteStream_WriteServer: srv, first: first})
}

func (m *byteStreamMux) QueryWriteStatus(ctx context.Context, req *bytestream.QueryWriteStatusRequest) (*bytestream.QueryWriteStatusResponse, error) {
	return m.serverFor(req.ResourceName).QueryWriteStatus(ctx, req)
}

// replayedWrite is a Write stream whose first request was already read.
type replayedWrite struct {
	bytestream.ByteStream_WriteServer
	first *bytestream.WriteRequest
}

func (r *replayedWrite) Recv() (*bytestream.WriteRequest, error) {
	if f := r.first; f != nil {
		r.first = nil
		return f, nil
	}
	return r.ByteStream_WriteServer.Recv()
}
