package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"github.com/sandbarn/sandbarn/proto/remoteworker"
	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
	"github.com/sandbarn/sandbarn/storage/grpcservers"
	"github.com/sandbarn/sandbarn/storage/memory"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
)

func freeAddress(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	return lis.Addr().String()
}

// TestServesClientsAndWorkers starts bb_scheduler against an in-process
// storage server and runs one action through it: uploaded through the
// proxied CAS, executed by a simulated worker, result streamed back.
func TestServesClientsAndWorkers(t *testing.T) {
	storageLis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	storageSrv := grpc.NewServer()
	grpcservers.Register(storageSrv, memory.NewCAS(), memory.NewActionCache(), grpcservers.Options{UploadDirectory: t.TempDir()})
	go storageSrv.Serve(storageLis)
	defer storageSrv.Stop()

	clientAddr, workerAddr, adminAddr := freeAddress(t), freeAddress(t), freeAddress(t)
	cfgPath := filepath.Join(t.TempDir(), "bb_scheduler.jsonnet")
	cfg := fmt.Sprintf(`{
		clientGrpcListenAddress: %q, workerGrpcListenAddress: %q, adminHttpListenAddress: %q,
		storage: { address: %q, proxyStorage: true },
		idleSynchronizeTimeout: '2s',
	}`, clientAddr, workerAddr, adminAddr, storageLis.Addr().String())
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- run(runCtx, cfgPath) }()

	clientConn := dial(t, clientAddr)
	workerConn := dial(t, workerAddr)
	caps, err := remoteexecution.NewCapabilitiesClient(clientConn).GetCapabilities(ctx, &remoteexecution.GetCapabilitiesRequest{}, grpc.WaitForReady(true))
	if err != nil || !caps.GetExecutionCapabilities().GetExecEnabled() {
		t.Fatalf("capabilities %v, %v: execution not advertised", caps, err)
	}

	// Upload through the scheduler's proxied CAS.
	cas := remoteexecution.NewContentAddressableStorageClient(clientConn)
	ad := uploadAction(ctx, t, cas)

	go func() {
		queue := remoteworker.NewOperationQueueClient(workerConn)
		req := &remoteworker.SynchronizeRequest{WorkerId: map[string]string{"hostname": "t"},
			CurrentState: &remoteworker.CurrentState{WorkerState: &remoteworker.CurrentState_Idle{Idle: &emptypb.Empty{}}}}
		for ctx.Err() == nil {
			resp, err := queue.Synchronize(ctx, req, grpc.WaitForReady(true))
			if err != nil {
				return
			}
			if ex := resp.GetDesiredState().GetExecuting(); ex != nil {
				req.CurrentState = &remoteworker.CurrentState{WorkerState: &remoteworker.CurrentState_Executing_{Executing: &remoteworker.CurrentState_Executing{
					ActionDigest: ex.ActionDigest,
					ExecutionState: &remoteworker.CurrentState_Executing_Completed{Completed: &remoteexecution.ExecuteResponse{
						Result: &remoteexecution.ActionResult{ExitCode: 5}}},
				}}}
			}
		}
	}()
	stream, err := remoteexecution.NewExecutionClient(clientConn).Execute(ctx, &remoteexecution.ExecuteRequest{ActionDigest: ad})
	if err != nil {
		t.Fatal(err)
	}
	for {
		msg, err := stream.Recv()
		if err != nil {
			t.Fatalf("stream ended without a result: %v", err)
		}
		if msg.Done {
			resp := &remoteexecution.ExecuteResponse{}
			if err := msg.GetResponse().UnmarshalTo(resp); err != nil || resp.GetResult().GetExitCode() != 5 {
				t.Fatalf("result %v, %v; want exit code 5", resp, err)
			}
			break
		}
	}
	resp, err := http.Get("http://" + adminAddr + "/api/workers")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"hostname": "t"`) {
		t.Fatalf("admin API workers: %s", body)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
}

func dial(t *testing.T, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func uploadAction(ctx context.Context, t *testing.T, cas remoteexecution.ContentAddressableStorageClient) *remoteexecution.Digest {
	t.Helper()
	mem := memory.NewCAS()
	cd, _ := storage.PutProto(ctx, mem, "", &remoteexecution.Command{Arguments: []string{"/bin/true"}})
	rd, _ := storage.PutProto(ctx, mem, "", &remoteexecution.Directory{})
	ad, _ := storage.PutProto(ctx, mem, "", &remoteexecution.Action{CommandDigest: cd.Proto(), InputRootDigest: rd.Proto()})
	req := &remoteexecution.BatchUpdateBlobsRequest{}
	for _, d := range []digest.Digest{cd, rd, ad} {
		data, err := storage.GetBytes(ctx, mem, d, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		req.Requests = append(req.Requests, &remoteexecution.BatchUpdateBlobsRequest_Request{Digest: d.Proto(), Data: data})
	}
	resp, err := cas.BatchUpdateBlobs(ctx, req, grpc.WaitForReady(true))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range resp.Responses {
		if r.GetStatus().GetCode() != 0 {
			t.Fatalf("upload: %v", r.Status)
		}
	}
	return ad.Proto()
}
