package main

import (
	"context"
	"fmt"
	"net"

	"cloud.google.com/go/longrunning/autogen/longrunningpb"
	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"github.com/sandbarn/sandbarn/proto/remoteworker"
	"github.com/sandbarn/sandbarn/scheduler"
	"github.com/sandbarn/sandbarn/storage/digest"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/emptypb"
)

// floorServer answers the same RPCs as the scheduler with canned messages
// and no scheduling at all. Its cost per operation (one Execute stream with
// two messages plus one Synchronize) is the gRPC floor under the
// scheduler's figures on this machine.
type floorServer struct {
	remoteexecution.UnimplementedExecutionServer
	remoteworker.UnimplementedOperationQueueServer
	executing, completed *longrunningpb.Operation
}

func newFloorServer() *floorServer {
	md := func(stage remoteexecution.ExecutionStage_Value) *anypb.Any {
		a, _ := anypb.New(&remoteexecution.ExecuteOperationMetadata{Stage: stage})
		return a
	}
	resp, _ := anypb.New(&remoteexecution.ExecuteResponse{Result: &remoteexecution.ActionResult{}})
	return &floorServer{
		executing: &longrunningpb.Operation{Name: "x", Metadata: md(remoteexecution.ExecutionStage_EXECUTING)},
		completed: &longrunningpb.Operation{Name: "x", Metadata: md(remoteexecution.ExecutionStage_COMPLETED), Done: true,
			Result: &longrunningpb.Operation_Response{Response: resp}},
	}
}

func (f *floorServer) Execute(req *remoteexecution.ExecuteRequest, stream grpc.ServerStreamingServer[longrunningpb.Operation]) error {
	if err := stream.Send(f.executing); err != nil {
		return err
	}
	return stream.Send(f.completed)
}

func (f *floorServer) Synchronize(ctx context.Context, req *remoteworker.SynchronizeRequest) (*remoteworker.SynchronizeResponse, error) {
	return &remoteworker.SynchronizeResponse{DesiredState: &remoteworker.DesiredState{
		WorkerState: &remoteworker.DesiredState_Idle{Idle: &emptypb.Empty{}}}}, nil
}

// grpcFloor runs n operations' worth of RPCs against a floorServer.
func grpcFloor(n, warm, clients int) (result, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return result{}, err
	}
	// The same pool size as the scheduler's servers.
	srv := grpc.NewServer(grpc.NumStreamWorkers(uint32(scheduler.DefaultConfig().StreamWorkers)))
	f := newFloorServer()
	remoteexecution.RegisterExecutionServer(srv, f)
	remoteworker.RegisterOperationQueueServer(srv, f)
	go srv.Serve(lis)
	defer srv.Stop()
	conn, err := grpc.NewClient(lis.Addr().String(), clientOptions()...)
	if err != nil {
		return result{}, err
	}
	defer conn.Close()
	exec := remoteexecution.NewExecutionClient(conn)
	queue := remoteworker.NewOperationQueueClient(conn)
	ctx := context.Background()
	actionDigest := digest.Digest{Hash: "00", Size: 1}
	syncReq := &remoteworker.SynchronizeRequest{WorkerId: map[string]string{"slot": "0"},
		CurrentState: &remoteworker.CurrentState{WorkerState: &remoteworker.CurrentState_Idle{Idle: &emptypb.Empty{}}}}
	call := func(int) error {
		if _, err := queue.Synchronize(ctx, syncReq); err != nil {
			return err
		}
		return executeOne(ctx, exec, actionDigest)
	}
	failed := concurrently(warm, clients, call)
	m := startMeter()
	failed += concurrently(n, clients, call)
	r := m.stop(n)
	if failed > 0 {
		return result{}, fmt.Errorf("%d floor calls failed", failed)
	}
	return r, nil
}
