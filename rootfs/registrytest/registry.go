package registrytest

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Registry is a plain-HTTP registry on 127.0.0.1 that counts the
// requests it serves, so tests can check how often a client pulled.
type Registry struct {
	server *httptest.Server
	// Host is "127.0.0.1:PORT", the registry part of references.
	Host string

	mu     sync.Mutex
	counts map[string]int
}

// New starts a registry; Close stops it.
func New() *Registry {
	r := &Registry{counts: map[string]int{}}
	inner := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	r.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.count(req)
		inner.ServeHTTP(w, req)
	}))
	r.Host = strings.TrimPrefix(r.server.URL, "http://")
	return r
}

// Close stops the server.
func (r *Registry) Close() { r.server.Close() }

// count files a request under "METHOD manifests" or "METHOD blobs".
func (r *Registry) count(req *http.Request) {
	kind := "other"
	switch {
	case strings.Contains(req.URL.Path, "/manifests/"):
		kind = "manifests"
	case strings.Contains(req.URL.Path, "/blobs/"):
		kind = "blobs"
	}
	r.mu.Lock()
	r.counts[req.Method+" "+kind]++
	r.mu.Unlock()
}

// Requests returns how many requests of a kind ("GET manifests",
// "HEAD manifests", "GET blobs", ...) were served since the last Reset.
func (r *Registry) Requests(kind string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counts[kind]
}

// Reset zeroes the request counts.
func (r *Registry) Reset() {
	r.mu.Lock()
	r.counts = map[string]int{}
	r.mu.Unlock()
}

// Push uploads img as repo:tag (repo without the host) and returns the
// reference pinned by digest.
func (r *Registry) Push(repoTag string, img v1.Image) (name.Digest, error) {
	tag, err := name.NewTag(r.Host + "/" + repoTag)
	if err != nil {
		return name.Digest{}, err
	}
	if err := remote.Write(tag, img); err != nil {
		return name.Digest{}, err
	}
	d, err := img.Digest()
	if err != nil {
		return name.Digest{}, err
	}
	return tag.Context().Digest(d.String()), nil
}
