// Command rootfs measures the image store: unpack throughput of a large
// generated image (pulled from an in-process registry, and unpacked from
// local layers) and the latency Acquire adds for an image already stored.
//
//	go run ./test/bench/rootfs [-size-mb 200] [-layers 4] [-warm 2000]
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/rand/v2"
	"os"
	"sort"
	"time"

	"github.com/google/go-containerregistry/pkg/compression"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/sandbarn/sandbarn/rootfs"
	rt "github.com/sandbarn/sandbarn/rootfs/registrytest"
)

func main() {
	sizeMB := flag.Int("size-mb", 200, "uncompressed image size in MB")
	layers := flag.Int("layers", 4, "number of layers")
	warm := flag.Int("warm", 2000, "warm Acquire calls to time")
	flag.Parse()
	if err := run(*sizeMB, *layers, *warm); err != nil {
		log.Fatal(err)
	}
}

func run(sizeMB, nLayers, warm int) error {
	start := time.Now()
	img, files, err := generate(int64(sizeMB)<<20, nLayers)
	if err != nil {
		return err
	}
	total := int64(sizeMB) << 20
	fmt.Fprintf(os.Stderr, "generated %d MB in %d layers, %d files, in %v\n", sizeMB, nLayers, files, time.Since(start).Round(time.Millisecond))
	reg := rt.New()
	defer reg.Close()
	pinned, err := reg.Push("bench/big:latest", img)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "rootfs-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	store, err := rootfs.Open(rootfs.Config{Directory: dir + "/pull", Logger: quiet})
	if err != nil {
		return err
	}
	ctx := context.Background()

	t0 := time.Now()
	tree, err := store.Acquire(ctx, "docker://"+pinned.String())
	if err != nil {
		return err
	}
	pull := time.Since(t0)
	tree.Release()

	local, err := rootfs.Open(rootfs.Config{Directory: dir + "/local", Logger: quiet})
	if err != nil {
		return err
	}
	t0 = time.Now()
	if _, err := local.Add(ctx, img, nil); err != nil {
		return err
	}
	unpackOnly := time.Since(t0)

	released := timeAcquires(ctx, store, "docker://"+pinned.String(), warm)
	held, err := store.Acquire(ctx, "docker://"+pinned.String())
	if err != nil {
		return err
	}
	inUse := timeAcquires(ctx, store, "docker://"+pinned.String(), warm)
	held.Release()

	fmt.Printf("%-44s %12s\n", "measurement", "result")
	fmt.Printf("%-44s %12s\n", "image (uncompressed, layers, files)", fmt.Sprintf("%d MB/%d/%d", sizeMB, nLayers, files))
	fmt.Printf("%-44s %9.1f MB/s  (%v)\n", "cold Acquire: pull + unpack from registry", mbps(total, pull), pull.Round(time.Millisecond))
	fmt.Printf("%-44s %9.1f MB/s  (%v)\n", "unpack from local layers (gunzip + write)", mbps(total, unpackOnly), unpackOnly.Round(time.Millisecond))
	fmt.Printf("%-44s %12s\n", "warm Acquire+Release, unused tree (p50/p99)", released)
	fmt.Printf("%-44s %12s\n", "warm Acquire+Release, tree in use (p50/p99)", inUse)
	return nil
}

func mbps(bytes int64, d time.Duration) float64 { return float64(bytes) / 1e6 / d.Seconds() }

// timeAcquires returns the median and 99th percentile of n warm
// Acquire+Release pairs.
func timeAcquires(ctx context.Context, s *rootfs.Store, ref string, n int) string {
	d := make([]time.Duration, n)
	for i := range d {
		t0 := time.Now()
		tree, err := s.Acquire(ctx, ref)
		if err != nil {
			log.Fatal(err)
		}
		tree.Release()
		d[i] = time.Since(t0)
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return fmt.Sprintf("%v/%v", d[n/2].Round(100*time.Nanosecond), d[n*99/100].Round(100*time.Nanosecond))
}

// generate builds an image of about size bytes: files from 1 KB to 2 MB,
// half random bytes and half repetitive text, so gzip has real work and
// the output is still partly compressible, like binaries and sources.
func generate(size int64, nLayers int) (v1.Image, int, error) {
	rng := rand.New(rand.NewPCG(1, 2))
	perLayer := size / int64(nLayers)
	var layers []v1.Layer
	files := 0
	for l := 0; l < nLayers; l++ {
		var entries []rt.Entry
		entries = append(entries, rt.Dir(fmt.Sprintf("layer%d", l)))
		for written := int64(0); written < perLayer; {
			n := min(int64(1024+rng.ExpFloat64()*200_000), 2<<20, perLayer-written)
			entries = append(entries, rt.Entry{Name: fmt.Sprintf("layer%d/f%06d", l, files), Body: content(rng, n), Mode: 0o644})
			written += n
			files++
		}
		b, err := rt.Tar(entries...)
		if err != nil {
			return nil, 0, err
		}
		layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil },
			tarball.WithCompression(compression.GZip), tarball.WithCompressionLevel(gzip.BestSpeed), tarball.WithCompressedCaching)
		if err != nil {
			return nil, 0, err
		}
		layers = append(layers, layer)
	}
	img, err := rt.Image(layers...)
	return img, files, err
}

func content(rng *rand.Rand, n int64) []byte {
	b := make([]byte, n)
	half := n / 2
	for i := int64(0); i < half; i += 8 {
		v := rng.Uint64()
		for j := int64(0); j < 8 && i+j < half; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	const text = "the quick brown fox jumps over the lazy dog 0123456789\n"
	for i := half; i < n; i++ {
		b[i] = text[i%int64(len(text))]
	}
	return b
}
