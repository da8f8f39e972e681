package grpcservers_test

import (
	"context"
	"fmt"
	"io"
	"testing"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
	"github.com/sandbarn/sandbarn/storage/grpcservers"
)

func TestCASBatches(t *testing.T) {
	conn, cas, _ := serveLocal(t, grpcservers.Options{})
	client := remoteexecution.NewContentAddressableStorageClient(conn)
	ctx := context.Background()
	good := []byte("hello")
	gd := digest.OfBytes("", good)
	bad := digest.OfBytes("", []byte("other"))
	resp, err := client.BatchUpdateBlobs(ctx, &remoteexecution.BatchUpdateBlobsRequest{
		InstanceName: "some/instance",
		Requests: []*remoteexecution.BatchUpdateBlobsRequest_Request{
			{Digest: gd.Proto(), Data: good},
			{Digest: bad.Proto(), Data: good},
			{Digest: &remoteexecution.Digest{Hash: gd.Hash, SizeBytes: -5}, Data: good},
			{Digest: gd.Proto(), Data: good, Compressor: remoteexecution.Compressor_ZSTD},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantCodes := []codes.Code{codes.OK, codes.InvalidArgument, codes.InvalidArgument, codes.InvalidArgument}
	for i, r := range resp.Responses {
		if got := codes.Code(r.Status.Code); got != wantCodes[i] {
			t.Errorf("update entry %d: code %s (%s), want %s", i, got, r.Status.Message, wantCodes[i])
		}
	}
	if missing, _ := cas.FindMissing(ctx, []digest.Digest{bad}); len(missing) != 1 {
		t.Error("a blob with the wrong content was stored")
	}

	fm, err := client.FindMissingBlobs(ctx, &remoteexecution.FindMissingBlobsRequest{BlobDigests: []*remoteexecution.Digest{gd.Proto(), bad.Proto()}})
	if err != nil {
		t.Fatal(err)
	}
	if len(fm.MissingBlobDigests) != 1 || fm.MissingBlobDigests[0].Hash != bad.Hash {
		t.Errorf("FindMissingBlobs = %v, want only %s", fm.MissingBlobDigests, bad)
	}

	rd, err := client.BatchReadBlobs(ctx, &remoteexecution.BatchReadBlobsRequest{InstanceName: "x", Digests: []*remoteexecution.Digest{gd.Proto(), bad.Proto()}})
	if err != nil {
		t.Fatal(err)
	}
	if string(rd.Responses[0].Data) != "hello" || rd.Responses[0].Status.Code != 0 {
		t.Errorf("read of stored blob: %v", rd.Responses[0])
	}
	if codes.Code(rd.Responses[1].Status.Code) != codes.NotFound {
		t.Errorf("read of missing blob: %v", rd.Responses[1].Status)
	}
}

func TestCASBadInput(t *testing.T) {
	opts := grpcservers.Options{MaxMessageSizeBytes: 1 << 20}
	conn, _, _ := serveLocal(t, opts)
	client := remoteexecution.NewContentAddressableStorageClient(conn)
	ctx := context.Background()
	ok := digest.OfBytes("", []byte("x")).Proto()
	_, err := client.FindMissingBlobs(ctx, &remoteexecution.FindMissingBlobsRequest{BlobDigests: []*remoteexecution.Digest{ok, {Hash: "zz", SizeBytes: 1}}})
	wantCode(t, err, codes.InvalidArgument, "FindMissingBlobs with a malformed hash")
	_, err = client.FindMissingBlobs(ctx, &remoteexecution.FindMissingBlobsRequest{BlobDigests: []*remoteexecution.Digest{{Hash: ok.Hash, SizeBytes: -1}}})
	wantCode(t, err, codes.InvalidArgument, "FindMissingBlobs with a negative size")
	_, err = client.FindMissingBlobs(ctx, &remoteexecution.FindMissingBlobsRequest{BlobDigests: []*remoteexecution.Digest{nil}})
	wantCode(t, err, codes.InvalidArgument, "FindMissingBlobs with a nil digest")
	_, err = client.FindMissingBlobs(ctx, &remoteexecution.FindMissingBlobsRequest{DigestFunction: remoteexecution.DigestFunction_MD5, BlobDigests: []*remoteexecution.Digest{ok}})
	wantCode(t, err, codes.InvalidArgument, "FindMissingBlobs with MD5")
	_, err = client.BatchUpdateBlobs(ctx, &remoteexecution.BatchUpdateBlobsRequest{DigestFunction: remoteexecution.DigestFunction_SHA1})
	wantCode(t, err, codes.InvalidArgument, "BatchUpdateBlobs with SHA1")
	for _, instance := range []string{"a//b", "/a", "a/../b", "x/blobs", "uploads"} {
		_, err = client.FindMissingBlobs(ctx, &remoteexecution.FindMissingBlobsRequest{InstanceName: instance, BlobDigests: []*remoteexecution.Digest{ok}})
		wantCode(t, err, codes.InvalidArgument, "FindMissingBlobs with instance name "+instance)
		_, err = client.BatchUpdateBlobs(ctx, &remoteexecution.BatchUpdateBlobsRequest{InstanceName: instance})
		wantCode(t, err, codes.InvalidArgument, "BatchUpdateBlobs with instance name "+instance)
		_, err = client.BatchReadBlobs(ctx, &remoteexecution.BatchReadBlobsRequest{InstanceName: instance, Digests: []*remoteexecution.Digest{ok}})
		wantCode(t, err, codes.InvalidArgument, "BatchReadBlobs with instance name "+instance)
		_, err = remoteexecution.NewActionCacheClient(conn).GetActionResult(ctx, &remoteexecution.GetActionResultRequest{InstanceName: instance, ActionDigest: ok})
		wantCode(t, err, codes.InvalidArgument, "GetActionResult with instance name "+instance)
		_, err = remoteexecution.NewCapabilitiesClient(conn).GetCapabilities(ctx, &remoteexecution.GetCapabilitiesRequest{InstanceName: instance})
		wantCode(t, err, codes.InvalidArgument, "GetCapabilities with instance name "+instance)
	}

	// Two blobs that each fit but together exceed the advertised limit.
	limit := opts.MaxBatchTotalSizeBytes()
	var reqs []*remoteexecution.BatchUpdateBlobsRequest_Request
	for i := range 2 {
		data := make([]byte, limit/2+1)
		data[0] = byte(i)
		reqs = append(reqs, &remoteexecution.BatchUpdateBlobsRequest_Request{Digest: digest.OfBytes("", data).Proto(), Data: data})
	}
	_, err = client.BatchUpdateBlobs(ctx, &remoteexecution.BatchUpdateBlobsRequest{Requests: reqs})
	wantCode(t, err, codes.InvalidArgument, "BatchUpdateBlobs above the batch limit")
	_, err = client.BatchReadBlobs(ctx, &remoteexecution.BatchReadBlobsRequest{Digests: []*remoteexecution.Digest{reqs[0].Digest, reqs[1].Digest}})
	wantCode(t, err, codes.InvalidArgument, "BatchReadBlobs above the batch limit")
	// A message above the gRPC limit is refused by gRPC itself.
	big := make([]byte, 2<<20)
	_, err = client.BatchUpdateBlobs(ctx, &remoteexecution.BatchUpdateBlobsRequest{Requests: []*remoteexecution.BatchUpdateBlobsRequest_Request{{Digest: digest.OfBytes("", big).Proto(), Data: big}}})
	wantCode(t, err, codes.ResourceExhausted, "BatchUpdateBlobs above the message limit")
}

// putTree stores a tree of depth levels with fanout subdirectories each and
// returns the root digest and the number of distinct directories.
func putTree(t *testing.T, cas storage.BlobAccess, depth, fanout int) (digest.Digest, int) {
	t.Helper()
	count := 0
	var build func(level int, name string) digest.Digest
	build = func(level int, name string) digest.Digest {
		dir := &remoteexecution.Directory{Files: []*remoteexecution.FileNode{{Name: name, Digest: digest.OfBytes("", []byte(name)).Proto()}}}
		if level < depth {
			for i := range fanout {
				child := build(level+1, fmt.Sprintf("%s.%d", name, i))
				dir.Directories = append(dir.Directories, &remoteexecution.DirectoryNode{Name: fmt.Sprint(i), Digest: child.Proto()})
			}
		}
		d, err := storage.PutProto(context.Background(), cas, "", dir)
		if err != nil {
			t.Fatal(err)
		}
		count++
		return d
	}
	return build(0, "root"), count
}

func readTree(t *testing.T, client remoteexecution.ContentAddressableStorageClient, req *remoteexecution.GetTreeRequest) ([]*remoteexecution.Directory, string, error) {
	t.Helper()
	stream, err := client.GetTree(context.Background(), req)
	if err != nil {
		return nil, "", err
	}
	var dirs []*remoteexecution.Directory
	token := ""
	for {
		resp, err := stream.Recv()
		if err == io.EOF {
			return dirs, token, nil
		}
		if err != nil {
			return nil, "", err
		}
		dirs = append(dirs, resp.Directories...)
		token = resp.NextPageToken
	}
}

func TestGetTreePaging(t *testing.T) {
	conn, cas, _ := serveLocal(t, grpcservers.Options{})
	client := remoteexecution.NewContentAddressableStorageClient(conn)
	root, count := putTree(t, cas, 3, 3)
	all, token, err := readTree(t, client, &remoteexecution.GetTreeRequest{RootDigest: root.Proto()})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != count || token != "" {
		t.Fatalf("whole tree: %d directories, token %q; want %d and none", len(all), token, count)
	}
	var paged []*remoteexecution.Directory
	token = ""
	for pages := 0; ; pages++ {
		dirs, next, err := readTree(t, client, &remoteexecution.GetTreeRequest{RootDigest: root.Proto(), PageSize: 4, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		if len(dirs) > 4 {
			t.Fatalf("page of %d directories, page_size 4", len(dirs))
		}
		paged = append(paged, dirs...)
		if next == "" {
			break
		}
		token = next
		if pages > count {
			t.Fatal("paging does not end")
		}
	}
	if len(paged) != len(all) {
		t.Fatalf("paged %d directories, whole %d", len(paged), len(all))
	}
	for i := range all {
		if !proto.Equal(all[i], paged[i]) {
			t.Fatalf("directory %d differs between paged and whole reads", i)
		}
	}

	other, _ := putTree(t, cas, 1, 1)
	for name, req := range map[string]*remoteexecution.GetTreeRequest{
		"garbage token":       {RootDigest: root.Proto(), PageToken: "!!not-a-token"},
		"token of other root": {RootDigest: other.Proto(), PageToken: token},
		"negative page size":  {RootDigest: root.Proto(), PageSize: -1},
		"no root":             {},
		"unsupported digest":  {RootDigest: root.Proto(), DigestFunction: remoteexecution.DigestFunction_BLAKE3},
	} {
		_, _, err := readTree(t, client, req)
		wantCode(t, err, codes.InvalidArgument, "GetTree with "+name)
	}
	_, _, err = readTree(t, client, &remoteexecution.GetTreeRequest{RootDigest: digest.OfBytes("", []byte("nope")).Proto()})
	wantCode(t, err, codes.NotFound, "GetTree of a missing root")
}

func TestCapabilities(t *testing.T) {
	exec := &remoteexecution.ExecutionCapabilities{ExecEnabled: true, DigestFunction: remoteexecution.DigestFunction_SHA256}
	opts := grpcservers.Options{MaxMessageSizeBytes: 8 << 20, Execution: exec}
	conn, _, _ := serveLocal(t, opts)
	caps, err := remoteexecution.NewCapabilitiesClient(conn).GetCapabilities(context.Background(), &remoteexecution.GetCapabilitiesRequest{InstanceName: "a/b"})
	if err != nil {
		t.Fatal(err)
	}
	cc := caps.CacheCapabilities
	if cc.MaxBatchTotalSizeBytes != opts.MaxBatchTotalSizeBytes() || cc.MaxBatchTotalSizeBytes >= 8<<20 || cc.MaxBatchTotalSizeBytes < 7<<20 {
		t.Errorf("max batch %d for an 8 MiB message limit", cc.MaxBatchTotalSizeBytes)
	}
	if len(cc.DigestFunctions) != 1 || cc.DigestFunctions[0] != remoteexecution.DigestFunction_SHA256 {
		t.Errorf("digest functions %v", cc.DigestFunctions)
	}
	if !cc.ActionCacheUpdateCapabilities.GetUpdateEnabled() {
		t.Error("AC updates not advertised")
	}
	if !caps.ExecutionCapabilities.GetExecEnabled() {
		t.Error("execution capabilities not passed through")
	}
	conn, _, _ = serveLocal(t, grpcservers.Options{})
	caps, err = remoteexecution.NewCapabilitiesClient(conn).GetCapabilities(context.Background(), &remoteexecution.GetCapabilitiesRequest{})
	if err != nil || caps.ExecutionCapabilities != nil {
		t.Errorf("storage-only server: execution capabilities %v, err %v", caps.GetExecutionCapabilities(), err)
	}
}
