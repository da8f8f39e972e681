package local

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"testing"

	"github.com/sandbarn/sandbarn/storage/digest"
)

var benchSizes = []int{1 << 10, 1 << 20}

// benchBlobs makes n distinct blobs of the given size.
func benchBlobs(n, size int) ([][]byte, []digest.Digest) {
	datas := make([][]byte, n)
	ds := make([]digest.Digest, n)
	for i := range n {
		datas[i] = make([]byte, size)
		binary.LittleEndian.PutUint64(datas[i], uint64(i))
		ds[i] = digest.OfBytes("", datas[i])
	}
	return datas, ds
}

func BenchmarkPut(b *testing.B) {
	for _, sync := range []bool{false, true} {
		for _, size := range benchSizes {
			b.Run(fmt.Sprintf("size=%d/fsync=%v", size, sync), func(b *testing.B) {
				ba, err := New(Options{Dir: b.TempDir(), MaxSizeBytes: 1 << 40, Kind: CAS, DisableSync: !sync})
				if err != nil {
					b.Fatal(err)
				}
				defer ba.Close()
				warmShards(b, ba)
				datas, ds := benchBlobs(b.N, size)
				b.SetBytes(int64(size))
				b.ResetTimer()
				for i := range b.N {
					if err := ba.Put(context.Background(), ds[i], bytes.NewReader(datas[i])); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkGet(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) {
			ba, err := New(Options{Dir: b.TempDir(), MaxSizeBytes: 1 << 40, Kind: CAS, DisableSync: true})
			if err != nil {
				b.Fatal(err)
			}
			defer ba.Close()
			datas, ds := benchBlobs(100, size)
			for i := range ds {
				mustPut(b, ba, ds[i], datas[i])
			}
			b.SetBytes(int64(size))
			b.ResetTimer()
			for i := range b.N {
				r, err := ba.Get(context.Background(), ds[i%len(ds)])
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, r); err != nil {
					b.Fatal(err)
				}
				r.Close()
			}
		})
	}
}

func BenchmarkFindMissing(b *testing.B) {
	ba, err := New(Options{Dir: b.TempDir(), MaxSizeBytes: 1 << 40, Kind: CAS, DisableSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer ba.Close()
	datas, ds := benchBlobs(1000, 16)
	for i := range ds[:500] {
		mustPut(b, ba, ds[i], datas[i])
	}
	b.ResetTimer()
	for range b.N {
		missing, err := ba.FindMissing(context.Background(), ds)
		if err != nil || len(missing) != 500 {
			b.Fatalf("FindMissing: %d missing, %v", len(missing), err)
		}
	}
	b.ReportMetric(float64(b.N*len(ds))/b.Elapsed().Seconds(), "digests/s")
}

// warmShards stores small blobs until all 256 shard directories exist, so
// that the one-off directory creation (slow on some disks) is not
// measured as if every Put paid it.
func warmShards(b *testing.B, ba *BlobAccess) {
	seen := map[byte]bool{}
	for i := uint64(0); len(seen) < 256; i++ {
		data := binary.BigEndian.AppendUint64([]byte("warm"), i)
		d := digest.OfBytes("", data)
		mustPut(b, ba, d, data)
		k, _ := ba.key(d)
		seen[k[0]] = true
	}
}
