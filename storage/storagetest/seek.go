package storagetest

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
)

// casSeek checks readers that offer io.Seeker: ByteStream reads with an
// offset seek instead of discarding the prefix, so a wrong Seek would serve
// wrong bytes silently.
func casSeek(t *testing.T, ba storage.BlobAccess) {
	data := randomBytes(700, 100000)
	d := digest.OfBytes("", data)
	put(t, ba, d, data)
	r, err := ba.Get(context.Background(), d)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	defer r.Close()
	s, ok := r.(io.Seeker)
	if !ok {
		t.Skipf("reader %T does not implement io.Seeker", r)
	}
	steps := []struct {
		offset int64
		whence int
		want   int64
	}{
		{12345, io.SeekStart, 12345},
		{100, io.SeekCurrent, 12345 + 10 + 100},
		{-10, io.SeekEnd, int64(len(data)) - 10},
		{0, io.SeekStart, 0},
		{int64(len(data)), io.SeekStart, int64(len(data))},
	}
	for i, step := range steps {
		pos, err := s.Seek(step.offset, step.whence)
		if err != nil {
			t.Fatalf("step %d: Seek(%d, %d): %v", i, step.offset, step.whence, err)
		}
		if pos != step.want {
			t.Fatalf("step %d: Seek(%d, %d) = %d, want %d", i, step.offset, step.whence, pos, step.want)
		}
		buf := make([]byte, 10)
		n, err := io.ReadFull(r, buf)
		if pos+10 <= int64(len(data)) {
			if err != nil || !bytes.Equal(buf, data[pos:pos+10]) {
				t.Fatalf("step %d: read after Seek to %d returned wrong bytes (%v)", i, pos, err)
			}
		} else if n != int(int64(len(data))-pos) {
			t.Fatalf("step %d: read %d bytes at offset %d of %d", i, n, pos, len(data))
		}
	}
}
