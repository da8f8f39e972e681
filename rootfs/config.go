package rootfs

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
)

// Config describes a Store. Zero values get the defaults given per field.
type Config struct {
	// Directory holds the store; the farm uses <data dir>/images.
	Directory string
	// SizeLimitBytes caps the disk space of unpacked trees; 0 means no
	// limit. Trees in use are never evicted, so the store can exceed it
	// while they are.
	SizeLimitBytes int64
	// LocalDirectories maps image references (as written in the
	// property, with or without "docker://") to directories used as they
	// are, e.g. a debootstrap tree standing in for an RBE image.
	LocalDirectories map[string]string
	// Mirrors lists, per registry host ("index.docker.io", "gcr.io"),
	// hosts to try first, in order, before the registry itself.
	Mirrors map[string][]string
	// InsecureRegistries are hosts reached over plain HTTP. Loopback and
	// private addresses always are.
	InsecureRegistries []string
	// Keychain finds registry credentials. Default: the docker config
	// file (~/.docker/config.json, $DOCKER_CONFIG).
	Keychain authn.Keychain
	// Transport for registry requests. Default http.DefaultTransport.
	Transport http.RoundTripper
	// Chown maps file owners into the sandbox's host uid range; default
	// true when running as root (it needs root).
	Chown *bool
	// FirstHostUID and UIDCount must match the container sandbox's;
	// default 1_000_000_000 and 65536 as there.
	FirstHostUID uint32
	UIDCount     uint32
	// OS and Architecture pick the image of a multi-platform index.
	// Default linux and the runner's architecture.
	OS, Architecture string
	// ProgressInterval is how often a running pull logs its progress.
	// Default 5s.
	ProgressInterval time.Duration
	// Logger receives pull progress. Default slog.Default().
	Logger *slog.Logger
	// Now is the clock for least-recently-used ordering. Default
	// time.Now.
	Now func() time.Time
}
