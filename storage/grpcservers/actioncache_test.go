package grpcservers_test

import (
	"context"
	"testing"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"google.golang.org/grpc/codes"

	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
	"github.com/sandbarn/sandbarn/storage/grpcservers"
)

func TestActionCacheRequiresReferencedBlobs(t *testing.T) {
	conn, cas, _ := serveLocal(t, grpcservers.Options{})
	client := remoteexecution.NewActionCacheClient(conn)
	ctx := context.Background()
	action := digest.OfBytes("", []byte("action"))
	blobs := map[string][]byte{"out": []byte("output file"), "stdout": []byte("hi\n"), "stderr": []byte("warn\n"), "tree": []byte("tree")}
	ds := map[string]digest.Digest{}
	for name, data := range blobs {
		ds[name] = digest.OfBytes("", data)
	}
	result := &remoteexecution.ActionResult{
		OutputFiles:       []*remoteexecution.OutputFile{{Path: "out", Digest: ds["out"].Proto()}},
		OutputDirectories: []*remoteexecution.OutputDirectory{{Path: "dir", TreeDigest: ds["tree"].Proto()}},
		StdoutDigest:      ds["stdout"].Proto(),
		StderrDigest:      ds["stderr"].Proto(),
		ExitCode:          3,
	}
	if _, err := client.UpdateActionResult(ctx, &remoteexecution.UpdateActionResultRequest{InstanceName: "i", ActionDigest: action.Proto(), ActionResult: result}); err != nil {
		t.Fatal(err)
	}
	get := func() (*remoteexecution.ActionResult, error) {
		return client.GetActionResult(ctx, &remoteexecution.GetActionResultRequest{InstanceName: "i", ActionDigest: action.Proto(), InlineStdout: true})
	}
	// Store the referenced blobs one by one: until the last one is there
	// the result must stay invisible.
	for _, name := range []string{"out", "stdout", "stderr", "tree"} {
		_, err := get()
		wantCode(t, err, codes.NotFound, "GetActionResult before "+name+" is stored")
		if err := storage.PutBytes(ctx, cas, ds[name], blobs[name]); err != nil {
			t.Fatal(err)
		}
	}
	got, err := get()
	if err != nil {
		t.Fatal(err)
	}
	if got.ExitCode != 3 || string(got.StdoutRaw) != "hi\n" || got.StderrRaw != nil {
		t.Errorf("got %v", got)
	}
	_, err = client.GetActionResult(ctx, &remoteexecution.GetActionResultRequest{InstanceName: "other", ActionDigest: action.Proto()})
	wantCode(t, err, codes.NotFound, "GetActionResult under another instance name")
}

func TestActionCacheBadInput(t *testing.T) {
	conn, _, _ := serveLocal(t, grpcservers.Options{})
	client := remoteexecution.NewActionCacheClient(conn)
	ctx := context.Background()
	action := digest.OfBytes("", []byte("action")).Proto()
	for name, req := range map[string]*remoteexecution.UpdateActionResultRequest{
		"no result":             {ActionDigest: action},
		"no action digest":      {ActionResult: &remoteexecution.ActionResult{}},
		"negative size":         {ActionDigest: &remoteexecution.Digest{Hash: action.Hash, SizeBytes: -1}, ActionResult: &remoteexecution.ActionResult{}},
		"bad output digest":     {ActionDigest: action, ActionResult: &remoteexecution.ActionResult{OutputFiles: []*remoteexecution.OutputFile{{Path: "x", Digest: &remoteexecution.Digest{Hash: "nothex"}}}}},
		"output without digest": {ActionDigest: action, ActionResult: &remoteexecution.ActionResult{OutputFiles: []*remoteexecution.OutputFile{{Path: "x"}}}},
		"unsupported function":  {ActionDigest: action, ActionResult: &remoteexecution.ActionResult{}, DigestFunction: remoteexecution.DigestFunction_SHA512},
	} {
		_, err := client.UpdateActionResult(ctx, req)
		wantCode(t, err, codes.InvalidArgument, "UpdateActionResult with "+name)
	}
	_, err := client.GetActionResult(ctx, &remoteexecution.GetActionResultRequest{ActionDigest: &remoteexecution.Digest{Hash: "abc", SizeBytes: 1}})
	wantCode(t, err, codes.InvalidArgument, "GetActionResult with a malformed digest")
	_, err = client.GetActionResult(ctx, &remoteexecution.GetActionResultRequest{ActionDigest: action})
	wantCode(t, err, codes.NotFound, "GetActionResult of an unknown action")
}
