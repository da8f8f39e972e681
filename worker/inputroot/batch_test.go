package inputroot

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
	"github.com/sandbarn/sandbarn/storage/memory"
	"github.com/sandbarn/sandbarn/worker/filecache"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// batchingCAS is a memory CAS with a BatchGetter that counts its batches
// and serves the blob under lie in place of corrupt's content.
type batchingCAS struct {
	*memory.BlobAccess
	batches atomic.Int64
	corrupt digest.Digest
	lie     []byte
}

func (b *batchingCAS) GetBatch(ctx context.Context, digests []digest.Digest, fn storage.BatchFunc) error {
	b.batches.Add(1)
	for _, d := range digests {
		data, err := storage.GetBytes(ctx, b.BlobAccess, d, d.Size)
		if d.Key() == b.corrupt.Key() {
			data, err = b.lie, nil
		}
		if err := fn(d, data, err); err != nil {
			return err
		}
	}
	return nil
}

func newBatchFixture(t *testing.T) (*fixture, *batchingCAS) {
	f := newFixture(t)
	cache, err := filecache.New(filepath.Join(f.dir, "cache2"), 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	b := &batchingCAS{BlobAccess: f.cas}
	f.p = NewPopulator(b, cache, 8, false)
	return f, b
}

func TestPopulateBatchesReads(t *testing.T) {
	f, b := newBatchFixture(t)
	var subs []*remoteexecution.DirectoryNode
	for i := 0; i < 5; i++ {
		var files []*remoteexecution.FileNode
		for j := 0; j < 20; j++ {
			files = append(files, &remoteexecution.FileNode{Name: string(rune('a' + j)), Digest: f.blob(string(rune('a'+i)) + string(rune('a'+j)))})
		}
		subs = append(subs, &remoteexecution.DirectoryNode{Name: string(rune('a' + i)), Digest: f.dirBlob(&remoteexecution.Directory{Files: files})})
	}
	if _, err := f.populate(f.dirBlob(&remoteexecution.Directory{Directories: subs})); err != nil {
		t.Fatal(err)
	}
	// One batch per tree level and one for all 100 files.
	if n := b.batches.Load(); n != 3 {
		t.Fatalf("%d batch reads, want 3", n)
	}
}

func TestPopulateBatchReportsMissingBlobInBatch(t *testing.T) {
	f, _ := newBatchFixture(t)
	missing := digest.OfBytes("", []byte("not uploaded")).Proto()
	root := f.dirBlob(&remoteexecution.Directory{Files: []*remoteexecution.FileNode{
		{Name: "a", Digest: f.blob("present")},
		{Name: "b", Digest: missing},
		{Name: "c", Digest: f.blob("also present")},
	}})
	_, err := f.populate(root)
	if status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("got %v, want FailedPrecondition", err)
	}
	var subjects []string
	for _, d := range status.Convert(err).Details() {
		if pf, ok := d.(*errdetails.PreconditionFailure); ok {
			for _, v := range pf.Violations {
				subjects = append(subjects, v.Subject)
			}
		}
	}
	if want := "blobs/" + missing.Hash + "/12"; len(subjects) != 1 || subjects[0] != want {
		t.Fatalf("subjects %v, want [%s]", subjects, want)
	}
}

func TestPopulateBatchRejectsCorruptBlob(t *testing.T) {
	f, b := newBatchFixture(t)
	good := f.blob("genuine")
	b.corrupt = digest.Digest{Hash: good.Hash, Size: good.SizeBytes}
	b.lie = []byte("forgery")
	_, err := f.populate(f.dirBlob(&remoteexecution.Directory{Files: []*remoteexecution.FileNode{{Name: "f", Digest: good}}}))
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("got %v, want InvalidArgument", err)
	}
}
