package rootfs

import (
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/sandbarn/sandbarn/errkind"
	"github.com/sandbarn/sandbarn/rootfs/unpack"
)

// phaseError says which step of getting an image failed: "pull"
// (manifest and layers from the registry) or "unpack" (into the store).
type phaseError struct {
	phase string
	err   error
}

func (e *phaseError) Error() string { return e.phase + ": " + e.err.Error() }
func (e *phaseError) Unwrap() error { return e.err }

// installPhase tells a layer download that failed while being unpacked
// from a failure of the unpacking itself.
func installPhase(err error) string {
	var terr *transport.Error
	var netErr net.Error
	if errors.As(err, &terr) || errors.As(err, &netErr) {
		return "pull"
	}
	return "unpack"
}

// imageError turns a failure to get an image into the error an action
// reports: errkind.Precondition naming the image, the phase and the reason
// for problems with the image or the registry (the action cannot run on
// it anywhere), errkind.Unavailable for this machine's own trouble. Errors
// that already have a kind keep it: a malformed reference is Invalid, and
// the context's error says the caller gave up.
func imageError(value string, err error) error {
	if errkind.Of(err) != errkind.Unknown {
		return err
	}
	prefix := fmt.Sprintf("container-image %q", value)
	var pe *phaseError
	if errors.As(err, &pe) {
		prefix += ": " + pe.phase
		err = pe.err
	}
	reason, ok := imageReason(err)
	if !ok {
		return errkind.New(errkind.Unavailable, "%s: %w", prefix, err)
	}
	return errkind.New(errkind.Precondition, "%s: %s: %w", prefix, reason, err)
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
