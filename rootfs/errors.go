package rootfs

import (
	"context"
	"errors"
	"net"
	"net/http"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sandbarn/sandbarn/rootfs/unpack"
)

// imageError turns a failure to get an image into the status an action
// reports: FailedPrecondition naming the image and the reason for
// problems with the image or the registry, Unavailable for this
// machine's own trouble, the context's code when the caller gave up.
func imageError(value string, err error) error {
	if _, ok := status.FromError(err); ok {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return status.FromContextError(err).Err()
	}
	reason, ok := imageReason(err)
	if !ok {
		return status.Errorf(codes.Unavailable, "container-image %q: %v", value, err)
	}
	return status.Errorf(codes.FailedPrecondition, "container-image %q: %s: %v", value, reason, err)
}

func imageReason(err error) (string, bool) {
	var entryErr *unpack.EntryError
	var terr *transport.Error
	var netErr net.Error
	switch {
	case errors.As(err, &entryErr):
		return "unusable image", true
	case errors.As(err, &terr):
		return registryReason(terr), true
	case errors.As(err, &netErr):
		return "network", true
	}
	return "", false
}

func registryReason(terr *transport.Error) string {
	switch terr.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		return "unauthorized"
	case http.StatusNotFound:
		return "not found"
	}
	for _, d := range terr.Errors {
		switch d.Code {
		case transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode, transport.BlobUnknownErrorCode:
			return "not found"
		case transport.UnauthorizedErrorCode, transport.DeniedErrorCode:
			return "unauthorized"
		}
	}
	return "registry error"
}
