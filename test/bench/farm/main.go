// Command farm measures the end-to-end latency of a trivial action through
// a whole `sandbarn farm` on loopback: Execute of `/bin/true` with an empty
// input root, one action at a time, the Action Cache bypassed, for each
// sandbox. It prints p50 and p90 per sandbox.
//
// Usage: go run ./test/bench/farm [-sandbarn bin/sandbarn] [-n 1000]
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/exec"
	"slices"
	"time"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/grpcclient"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/durationpb"
)

func main() {
	bin := flag.String("sandbarn", "bin/sandbarn", "the sandbarn binary (make build)")
	n := flag.Int("n", 1000, "actions per sandbox")
	flag.Parse()
	fmt.Printf("%-10s %8s %10s %10s %10s\n", "sandbox", "actions", "p50", "p90", "actions/s")
	for _, sandbox := range []string{"container", "process"} {
		lat, err := measure(*bin, sandbox, *n)
		if err != nil {
			log.Fatalf("%s: %v", sandbox, err)
		}
		var total time.Duration
		for _, d := range lat {
			total += d
		}
		slices.Sort(lat)
		fmt.Printf("%-10s %8d %10s %10s %10.0f\n", sandbox, len(lat), ms(lat[len(lat)/2]), ms(lat[len(lat)*9/10]),
			float64(len(lat))/total.Seconds())
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }

// measure starts a farm with the given sandbox and times n actions.
func measure(bin, sandbox string, n int) ([]time.Duration, error) {
	dir, err := os.MkdirTemp("", "sandbarn-bench-farm-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	addr, err := freeAddress()
	if err != nil {
		return nil, err
	}
	farm := exec.Command(bin, "farm", "--data-dir", dir, "--listen", addr, "--admin-listen", "", "--sandbox", sandbox)
	farm.Stdout, farm.Stderr = nil, nil
	if err := farm.Start(); err != nil {
		return nil, err
	}
	defer func() {
		farm.Process.Signal(os.Interrupt)
		farm.Wait()
	}()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	ctx := context.Background()
	if err := waitForFarm(ctx, conn); err != nil {
		return nil, err
	}
	actionDigest, err := uploadTrivialAction(ctx, grpcclient.NewCAS(conn, "", 1<<20))
	if err != nil {
		return nil, err
	}
	exe := remoteexecution.NewExecutionClient(conn)
	// Warm up: wait for the worker to register and the sandbox to settle.
	deadline := time.Now().Add(time.Minute)
	for i := 0; i < 20; {
		if err := execute(ctx, exe, actionDigest); err != nil {
			if time.Now().After(deadline) {
				return nil, err
			}
			time.Sleep(200 * time.Millisecond)
			continue
		}
		i++
	}
	lat := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		start := time.Now()
		if err := execute(ctx, exe, actionDigest); err != nil {
			return nil, err
		}
		lat = append(lat, time.Since(start))
	}
	return lat, nil
}

// uploadTrivialAction stores `/bin/true` with an empty input root, marked
// do_not_cache so every Execute runs it.
func uploadTrivialAction(ctx context.Context, cas storage.BlobAccess) (*remoteexecution.Digest, error) {
	cmd := &remoteexecution.Command{Arguments: []string{"/bin/true"}}
	cmdDigest, err := storage.PutProto(ctx, cas, "", cmd)
	if err != nil {
		return nil, err
	}
	rootDigest, err := storage.PutProto(ctx, cas, "", &remoteexecution.Directory{})
	if err != nil {
		return nil, err
	}
	action := &remoteexecution.Action{
		CommandDigest: cmdDigest.Proto(), InputRootDigest: rootDigest.Proto(),
		DoNotCache: true, Timeout: durationpb.New(time.Minute),
	}
	d, err := storage.PutProto(ctx, cas, "", action)
	return d.Proto(), err
}

// execute runs the action and checks it succeeded.
func execute(ctx context.Context, exe remoteexecution.ExecutionClient, d *remoteexecution.Digest) error {
	stream, err := exe.Execute(ctx, &remoteexecution.ExecuteRequest{ActionDigest: d, SkipCacheLookup: true})
	if err != nil {
		return err
	}
	for {
		op, err := stream.Recv()
		if err != nil {
			return err
		}
		if !op.Done {
			continue
		}
		resp := &remoteexecution.ExecuteResponse{}
		if err := op.GetResponse().UnmarshalTo(resp); err != nil {
			return fmt.Errorf("operation %s: %v", op.Name, op.GetError())
		}
		if resp.Status.GetCode() != 0 || resp.Result.GetExitCode() != 0 {
			return fmt.Errorf("action failed: %v, exit %d", resp.Status, resp.Result.GetExitCode())
		}
		return nil
	}
}

func freeAddress() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// waitForFarm returns once the farm answers Capabilities.
func waitForFarm(ctx context.Context, conn *grpc.ClientConn) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	_, err := remoteexecution.NewCapabilitiesClient(conn).GetCapabilities(ctx,
		&remoteexecution.GetCapabilitiesRequest{}, grpc.WaitForReady(true))
	return err
}
