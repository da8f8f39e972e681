// Command storage measures the REAPI storage services on loopback TCP
// against the local disk backend: FindMissingBlobs, BatchUpdateBlobs and
// ByteStream write/read throughput for 1 KiB, 1 MiB and 256 MiB blobs.
//
//	go run ./test/bench/storage [-sync] [-dir DIR]
package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"text/tabwriter"
	"time"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"github.com/sandbarn/sandbarn/storage/digest"
	"github.com/sandbarn/sandbarn/storage/grpcclient"
	"github.com/sandbarn/sandbarn/storage/grpcservers"
	"github.com/sandbarn/sandbarn/storage/local"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

const maxMessage = 16 << 20

// entryOverheadBytes is a generous bound on what one batch entry adds
// besides its data.
const entryOverheadBytes = 100

// sizeCase says how many blobs of one size each operation moves; counts
// are picked so the whole run stays well under two minutes on 2 cores.
type sizeCase struct {
	name    string
	size    int
	batched int // blobs for BatchUpdateBlobs (0: too big for a batch)
	streams int // blobs for ByteStream write and read
}

var cases = []sizeCase{
	{"1 KiB", 1 << 10, 20000, 2000},
	{"1 MiB", 1 << 20, 300, 300},
	{"256 MiB", 256 << 20, 0, 2},
}

type row struct {
	op, size   string
	blobs      int
	bytes      int64
	elapsed    time.Duration
	notApplies string
}

func main() {
	syncWrites := flag.Bool("sync", false, "fsync every blob before it becomes visible (production setting)")
	dir := flag.String("dir", "", "directory for the store (default: a fresh temporary directory)")
	flag.Parse()
	if err := run(*dir, *syncWrites); err != nil {
		log.Fatal(err)
	}
}

func run(dir string, syncWrites bool) error {
	if dir == "" {
		d, err := os.MkdirTemp("", "sandbarn-storage-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	cas, err := local.New(local.Options{Dir: dir + "/cas", MaxSizeBytes: 8 << 30, Kind: local.CAS, DisableSync: !syncWrites})
	if err != nil {
		return err
	}
	defer cas.Close()
	ac, err := local.New(local.Options{Dir: dir + "/ac", MaxSizeBytes: 1 << 30, Kind: local.ActionCache, DisableSync: !syncWrites})
	if err != nil {
		return err
	}
	defer ac.Close()
	opts := grpcservers.Options{MaxMessageSizeBytes: maxMessage, UploadDirectory: dir}
	s := grpc.NewServer(opts.ServerOptions()...)
	grpcservers.Register(s, cas, ac, opts)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go s.Serve(lis)
	defer s.Stop()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMessage), grpc.MaxCallSendMsgSize(maxMessage)))
	if err != nil {
		return err
	}
	defer conn.Close()
	b := bench{
		ctx:      context.Background(),
		raw:      remoteexecution.NewContentAddressableStorageClient(conn),
		stream:   grpcclient.NewCAS(conn, "", 0), // batch limit 0: everything through ByteStream
		maxBatch: opts.MaxBatchTotalSizeBytes(),
	}
	var rows []row
	for _, c := range cases {
		r, err := b.runCase(c)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		rows = append(rows, r...)
	}
	printTable(rows, syncWrites)
	return nil
}

func printTable(rows []row, syncWrites bool) {
	fmt.Printf("REAPI storage on loopback TCP, local disk backend (fsync %v), %d MiB message limit\n", syncWrites, maxMessage>>20)
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "operation\tblob size\tblobs\tseconds\tMB/s\tblobs/s\t note")
	for _, r := range rows {
		if r.notApplies != "" {
			fmt.Fprintf(w, "%s\t%s\t-\t-\t-\t-\t %s\n", r.op, r.size, r.notApplies)
			continue
		}
		sec := r.elapsed.Seconds()
		fmt.Fprintf(w, "%s\t%s\t%d\t%.2f\t%.1f\t%.1f\t\n", r.op, r.size, r.blobs, sec, float64(r.bytes)/1e6/sec, float64(r.blobs)/sec)
	}
	w.Flush()
}

// bench holds the clients; raw issues batch RPCs itself so it can fill
// each request up to the limit, stream goes through grpcclient.
type bench struct {
	ctx      context.Context
	raw      remoteexecution.ContentAddressableStorageClient
	stream   *grpcclient.CAS
	maxBatch int64
}

func (b *bench) runCase(c sizeCase) ([]row, error) {
	var rows []row
	if c.batched > 0 {
		blobs := randomBlobs(c.batched, c.size)
		elapsed, err := timed(func() error { return b.batchUpdate(blobs) })
		if err != nil {
			return nil, err
		}
		rows = append(rows, row{op: "BatchUpdateBlobs", size: c.name, blobs: len(blobs), bytes: int64(len(blobs) * c.size), elapsed: elapsed})
		r, err := b.findMissing(c, blobs)
		if err != nil {
			return nil, err
		}
		rows = append(rows, r)
	} else {
		rows = append(rows, row{op: "BatchUpdateBlobs", size: c.name, notApplies: "larger than a batch"})
	}
	w, r, err := b.byteStream(c)
	if err != nil {
		return nil, err
	}
	return append(rows, w, r), nil
}

type blob struct {
	d    digest.Digest
	data []byte
}

func randomBlobs(n, size int) []blob {
	out := make([]blob, n)
	for i := range out {
		data := make([]byte, size)
		rand.Read(data)
		out[i] = blob{digest.OfBytes("", data), data}
	}
	return out
}

func timed(f func() error) (time.Duration, error) {
	start := time.Now()
	err := f()
	return time.Since(start), err
}

// batchUpdate packs blobs into requests as full as the limit allows.
func (b *bench) batchUpdate(blobs []blob) error {
	for len(blobs) > 0 {
		req := &remoteexecution.BatchUpdateBlobsRequest{}
		var total int64
		// Count the digest and framing too, or thousands of tiny blobs
		// overflow the message although their data fits.
		for len(blobs) > 0 && total+int64(len(blobs[0].data))+entryOverheadBytes <= b.maxBatch {
			req.Requests = append(req.Requests, &remoteexecution.BatchUpdateBlobsRequest_Request{Digest: blobs[0].d.Proto(), Data: blobs[0].data})
			total += int64(len(blobs[0].data)) + entryOverheadBytes
			blobs = blobs[1:]
		}
		resp, err := b.raw.BatchUpdateBlobs(b.ctx, req)
		if err != nil {
			return err
		}
		for _, r := range resp.Responses {
			if r.Status.GetCode() != 0 {
				return fmt.Errorf("blob %s: %s", r.Digest.GetHash(), r.Status.GetMessage())
			}
		}
	}
	return nil
}

// findMissing asks for the stored blobs plus as many absent ones, 10000
// digests per request, until a second has passed; MB/s counts the bytes
// the queried digests stand for.
func (b *bench) findMissing(c sizeCase, stored []blob) (row, error) {
	var digests []*remoteexecution.Digest
	for _, s := range stored {
		digests = append(digests, s.d.Proto())
		absent := s.d
		absent.Hash = fmt.Sprintf("%064x", len(digests))
		digests = append(digests, absent.Proto())
	}
	digests = digests[:min(len(digests), 10000)]
	queried := 0
	elapsed, err := timed(func() error {
		for start := time.Now(); time.Since(start) < time.Second; {
			resp, err := b.raw.FindMissingBlobs(b.ctx, &remoteexecution.FindMissingBlobsRequest{BlobDigests: digests})
			if err != nil {
				return err
			}
			if want := len(digests) / 2; len(resp.MissingBlobDigests) != want {
				return fmt.Errorf("FindMissingBlobs reported %d missing, want %d", len(resp.MissingBlobDigests), want)
			}
			queried += len(digests)
		}
		return nil
	})
	return row{op: "FindMissingBlobs", size: c.name, blobs: queried, bytes: int64(queried) * int64(c.size), elapsed: elapsed}, err
}

// byteStream writes then reads c.streams blobs through ByteStream. Big
// blobs come from a reader so the benchmark holds one chunk, not 256 MiB.
func (b *bench) byteStream(c sizeCase) (row, row, error) {
	var ds []digest.Digest
	seeds := make([]byte, c.streams*8)
	rand.Read(seeds)
	for i := range c.streams {
		ds = append(ds, digestOf(seeds[i*8:i*8+8], c.size))
	}
	wElapsed, err := timed(func() error {
		for i, d := range ds {
			if err := b.stream.Put(b.ctx, d, newPattern(seeds[i*8:i*8+8], c.size)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return row{}, row{}, err
	}
	rElapsed, err := timed(func() error {
		buf := make([]byte, 1<<20)
		for _, d := range ds {
			r, err := b.stream.Get(b.ctx, d)
			if err != nil {
				return err
			}
			_, err = io.CopyBuffer(io.Discard, r, buf)
			r.Close()
			if err != nil {
				return err
			}
		}
		return nil
	})
	total := int64(c.streams) * int64(c.size)
	return row{op: "ByteStream Write", size: c.name, blobs: c.streams, bytes: total, elapsed: wElapsed},
		row{op: "ByteStream Read", size: c.name, blobs: c.streams, bytes: total, elapsed: rElapsed}, err
}
