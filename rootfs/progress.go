package rootfs

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// progress follows one pull: bytes downloaded per layer (counted at the
// HTTP transport, since layers are decompressed as they stream) and
// uncompressed bytes unpacked, logged every interval.
type progress struct {
	image  string
	logger *slog.Logger
	start  time.Time

	mu       sync.Mutex
	layers   []*layerProgress
	byDigest map[string]*layerProgress
}

type layerProgress struct {
	digest     string
	size       int64
	downloaded atomic.Int64
	unpacked   atomic.Int64
}

func newProgress(image string, logger *slog.Logger) *progress {
	return &progress{image: image, logger: logger, start: time.Now(), byDigest: map[string]*layerProgress{}}
}

// setLayers records the layers once the manifest is known.
func (p *progress) setLayers(img v1.Image) error {
	m, err := img.Manifest()
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range m.Layers {
		lp := &layerProgress{digest: l.Digest.String(), size: l.Size}
		p.layers = append(p.layers, lp)
		p.byDigest[lp.digest] = lp
	}
	return nil
}

// unpacked is unpack.Options.Progress.
func (p *progress) unpacked(layer int, bytes int64) {
	p.mu.Lock()
	var lp *layerProgress
	if layer < len(p.layers) {
		lp = p.layers[layer]
	}
	p.mu.Unlock()
	if lp != nil {
		lp.unpacked.Store(bytes)
	}
}

// every logs progress each interval until the returned stop is called.
func (p *progress) every(interval time.Duration) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				p.log()
			}
		}
	}()
	return func() { close(done) }
}

func (p *progress) log() {
	p.mu.Lock()
	layers := p.layers
	p.mu.Unlock()
	for i, lp := range layers {
		down, unpacked := lp.downloaded.Load(), lp.unpacked.Load()
		if down >= lp.size && unpacked == 0 && i > 0 && layers[i-1].unpacked.Load() == 0 {
			continue // fetched, waiting for the layers below it
		}
		p.logger.Info("image pull in progress", "image", p.image, "layer", fmt.Sprintf("%d/%d", i+1, len(layers)),
			"digest", lp.digest, "downloaded", fmt.Sprintf("%s/%s", mb(down), mb(lp.size)), "unpacked", mb(unpacked),
			"elapsed", time.Since(p.start).Round(time.Second))
	}
}

func (p *progress) finished(digest string, size int64) {
	p.logger.Info("image ready", "image", p.image, "digest", digest, "size", mb(size), "took", time.Since(p.start).Round(time.Millisecond))
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }

// transport counts response bytes of blob downloads for their layer.
func (p *progress) transport(base http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		resp, err := base.RoundTrip(req)
		if err != nil || req.Method != http.MethodGet {
			return resp, err
		}
		i := strings.LastIndex(req.URL.Path, "/blobs/")
		if i < 0 {
			return resp, err
		}
		p.mu.Lock()
		lp := p.byDigest[req.URL.Path[i+len("/blobs/"):]]
		p.mu.Unlock()
		if lp != nil {
			resp.Body = &countingBody{ReadCloser: resp.Body, n: &lp.downloaded}
		}
		return resp, nil
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c *countingBody) Read(b []byte) (int, error) {
	n, err := c.ReadCloser.Read(b)
	c.n.Add(int64(n))
	return n, err
}
