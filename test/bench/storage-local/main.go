// Command storage-local measures the local disk BlobAccess directly (no
// gRPC): Put with and without fsync, Get, and FindMissing, for 1 KiB,
// 1 MiB and 64 MiB blobs, and prints one table row per case.
package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"text/tabwriter"
	"time"

	"github.com/sandbarn/sandbarn/storage/digest"
	"github.com/sandbarn/sandbarn/storage/local"
)

type workload struct {
	size  int
	count int
}

func main() {
	dir := flag.String("dir", "", "directory for the stores (default: a new temporary directory)")
	scale := flag.Float64("scale", 1, "multiply the number of blobs per case")
	flag.Parse()
	if *dir == "" {
		d, err := os.MkdirTemp("", "storage-local-bench-")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(d)
		*dir = d
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\tblob size\tfsync\tblobs\tblobs/s\tMB/s\t")
	loads := []workload{{1 << 10, 2000}, {1 << 20, 200}, {64 << 20, 4}}
	for i, w := range loads {
		w.count = max(1, int(float64(w.count)**scale))
		for _, sync := range []bool{false, true} {
			if err := runCase(tw, fmt.Sprintf("%s/%d-%v", *dir, i, sync), w, sync); err != nil {
				log.Fatal(err)
			}
		}
	}
	tw.Flush()
}

// runCase fills a fresh store with w.count blobs and then reads them back.
// Reads and FindMissing are reported only for the no-fsync store: fsync
// does not change them.
func runCase(tw io.Writer, dir string, w workload, sync bool) error {
	defer os.RemoveAll(dir)
	ba, err := local.New(local.Options{Dir: dir, MaxSizeBytes: 1 << 40, Kind: local.CAS, DisableSync: !sync})
	if err != nil {
		return err
	}
	defer ba.Close()
	ctx := context.Background()
	data := make([]byte, w.size)
	ds := make([]digest.Digest, w.count)
	for i := range ds {
		binary.LittleEndian.PutUint64(data, uint64(i))
		ds[i] = digest.OfBytes("", data)
	}
	elapsed, err := timed(func() error {
		for i, d := range ds {
			binary.LittleEndian.PutUint64(data, uint64(i))
			if err := ba.Put(ctx, d, bytes.NewReader(data)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	row(tw, "Put", w, sync, elapsed)
	if sync {
		return nil
	}
	elapsed, err = timed(func() error {
		for _, d := range ds {
			r, err := ba.Get(ctx, d)
			if err != nil {
				return err
			}
			_, err = io.Copy(io.Discard, r)
			r.Close()
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	row(tw, "Get", w, sync, elapsed)
	elapsed, err = timed(func() error {
		_, err := ba.FindMissing(ctx, ds)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(tw, "FindMissing\t%s\t-\t%d\t%.0f\t-\t\n", human(w.size), w.count, float64(w.count)/elapsed.Seconds())
	return nil
}

func timed(f func() error) (time.Duration, error) {
	start := time.Now()
	err := f()
	return time.Since(start), err
}

func row(tw io.Writer, op string, w workload, sync bool, elapsed time.Duration) {
	s := elapsed.Seconds()
	fmt.Fprintf(tw, "%s\t%s\t%v\t%d\t%.0f\t%.1f\t\n", op, human(w.size), sync, w.count, float64(w.count)/s, float64(w.count)*float64(w.size)/s/1e6)
}

func human(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}
