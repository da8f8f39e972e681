// Benchmark of input root population: how fast a worker materialises a
// tree of many small files, from a cold file cache (every file downloaded
// from the CAS) and from a warm one (every file hardlinked). The CAS is the
// in-memory store behind the real gRPC services on a loopback TCP port, so
// cold figures include gRPC batch reads.
//
// Usage: go run ./test/bench/worker [-files 10000] [-size 4096] [-runs 3] [-dir /dev/shm]
package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"time"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
	"github.com/sandbarn/sandbarn/storage/grpcclient"
	"github.com/sandbarn/sandbarn/storage/grpcservers"
	"github.com/sandbarn/sandbarn/storage/memory"
	"github.com/sandbarn/sandbarn/worker/filecache"
	"github.com/sandbarn/sandbarn/worker/inputroot"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

func main() {
	files := flag.Int("files", 10000, "number of input files")
	size := flag.Int("size", 4096, "bytes per file")
	perDir := flag.Int("per-dir", 100, "files per directory")
	runs := flag.Int("runs", 3, "runs per case; the median is printed")
	concurrency := flag.Int("concurrency", 32, "parallel downloads and links")
	dir := flag.String("dir", "", "directory for the file cache and input roots (default: the system's temporary directory); /dev/shm separates gRPC from disk costs")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if *cpuProfile != "" {
		stop, err := startProfile(*cpuProfile)
		if err != nil {
			log.Fatal(err)
		}
		defer stop()
	}
	if err := run(*dir, *files, *size, *perDir, *runs, *concurrency); err != nil {
		log.Print(err)
		os.Exit(1)
	}
}

func startProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func run(dir string, files, size, perDir, runs, concurrency int) error {
	ctx := context.Background()
	work, err := os.MkdirTemp(dir, "sandbarn-bench-worker")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	backing := memory.NewCAS()
	root, err := buildTree(ctx, backing, files, size, perDir)
	if err != nil {
		return err
	}
	cas, stop, err := serveLoopback(backing)
	if err != nil {
		return err
	}
	defer stop()

	fmt.Printf("input root: %d files of %d bytes in %d directories, CAS: memory over loopback gRPC, concurrency %d\n\n",
		files, size, (files+perDir-1)/perDir, concurrency)
	fmt.Printf("%-12s %10s %12s %10s\n", "cache", "seconds", "files/s", "MB/s")
	megabytes := float64(files*size) / 1e6
	for _, warm := range []bool{false, true} {
		var times []time.Duration
		for i := 0; i < runs; i++ {
			d, err := populateOnce(ctx, cas, root, filepath.Join(work, fmt.Sprint(warm, i)), warm, concurrency)
			if err != nil {
				return err
			}
			times = append(times, d)
		}
		sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
		med := times[len(times)/2].Seconds()
		name := "cold"
		if warm {
			name = "warm"
		}
		fmt.Printf("%-12s %10.3f %12.0f %10.1f\n", name, med, float64(files)/med, megabytes/med)
	}
	return nil
}

// populateOnce times one population into a fresh directory. For a warm run
// the cache is filled by an untimed population first.
func populateOnce(ctx context.Context, cas storage.BlobAccess, root *remoteexecution.Digest, dir string, warm bool, concurrency int) (time.Duration, error) {
	cache, err := filecache.New(filepath.Join(dir, "cache"), 1<<40)
	if err != nil {
		return 0, err
	}
	p := inputroot.NewPopulator(cas, cache, concurrency, false)
	if warm {
		if err := populate(ctx, p, root, filepath.Join(dir, "prefill")); err != nil {
			return 0, err
		}
	}
	start := time.Now()
	if err := populate(ctx, p, root, filepath.Join(dir, "root")); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

func populate(ctx context.Context, p *inputroot.Populator, root *remoteexecution.Digest, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	return p.Populate(ctx, "", remoteexecution.DigestFunction_SHA256, root, dst)
}

// buildTree stores files of random content in directories of perDir files
// under one root and returns the root's digest.
func buildTree(ctx context.Context, cas storage.BlobAccess, files, size, perDir int) (*remoteexecution.Digest, error) {
	root := &remoteexecution.Directory{}
	for start := 0; start < files; start += perDir {
		dir := &remoteexecution.Directory{}
		for i := start; i < files && i < start+perDir; i++ {
			data := make([]byte, size)
			rand.Read(data)
			fd, err := putBytes(ctx, cas, data)
			if err != nil {
				return nil, err
			}
			dir.Files = append(dir.Files, &remoteexecution.FileNode{Name: fmt.Sprintf("f%05d", i), Digest: fd, IsExecutable: i%10 == 0})
		}
		dd, err := storage.PutProto(ctx, cas, "", dir)
		if err != nil {
			return nil, err
		}
		root.Directories = append(root.Directories, &remoteexecution.DirectoryNode{Name: fmt.Sprintf("d%04d", start/perDir), Digest: dd.Proto()})
	}
	rd, err := storage.PutProto(ctx, cas, "", root)
	if err != nil {
		return nil, err
	}
	return rd.Proto(), nil
}

func putBytes(ctx context.Context, cas storage.BlobAccess, data []byte) (*remoteexecution.Digest, error) {
	d := digest.OfBytes("", data)
	return d.Proto(), storage.PutBytes(ctx, cas, d, data)
}

// serveLoopback serves backing over the REAPI gRPC services on a loopback
// port and returns a client for it.
func serveLoopback(backing storage.BlobAccess) (storage.BlobAccess, func(), error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	opts := grpcservers.Options{}
	s := grpc.NewServer(opts.ServerOptions()...)
	grpcservers.Register(s, backing, memory.NewActionCache(), opts)
	go s.Serve(lis)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		s.Stop()
		return nil, nil, err
	}
	return grpcclient.NewCAS(conn, "", 2<<20), func() { conn.Close(); s.Stop() }, nil
}
