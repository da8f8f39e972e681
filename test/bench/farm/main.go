// Command farm measures the end-to-end latency of a trivial action through
// a whole `sandbarn farm` on loopback: Execute of `/bin/true` with an empty
// input root, one action at a time, back to back, the Action Cache
// bypassed: in containers on the host rootfs, in containers on a busybox
// image imported with `sandbarn image import` (container-image set), and
// as plain processes. It prints p50 and p90 per row, and how many actions
// found a prepared container.
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
	"path/filepath"
	"slices"
	"strings"
	"time"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/sandbarn/sandbarn/images"
	runnerpb "github.com/sandbarn/sandbarn/proto/runner"
	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/grpcclient"
	testimages "github.com/sandbarn/sandbarn/test/images"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/durationpb"
)

// row is one line of the table.
type row struct {
	name, sandbox string
	image         bool
}

func main() {
	bin := flag.String("sandbarn", "bin/sandbarn", "the sandbarn binary (make build)")
	n := flag.Int("n", 1000, "actions per row")
	flag.Parse()
	fmt.Printf("%-18s %8s %9s %10s %10s %10s\n", "sandbox", "actions", "prepared", "p50", "p90", "actions/s")
	for _, r := range []row{{"container", "container", false}, {"container on image", "container", true}, {"process", "process", false}} {
		lat, prepared, err := measure(*bin, r, *n)
		if err != nil {
			log.Fatalf("%s: %v", r.name, err)
		}
		var total time.Duration
		for _, d := range lat {
			total += d
		}
		slices.Sort(lat)
		fmt.Printf("%-18s %8d %9d %10s %10s %10.0f\n", r.name, len(lat), prepared, ms(lat[len(lat)/2]), ms(lat[len(lat)*9/10]),
			float64(len(lat))/total.Seconds())
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }

// measure starts a farm with the row's sandbox and times n actions; it
// also returns how many found a prepared container.
func measure(bin string, r row, n int) ([]time.Duration, int, error) {
	dir, err := os.MkdirTemp("", "sandbarn-bench-farm-")
	if err != nil {
		return nil, 0, err
	}
	defer os.RemoveAll(dir)
	addr, err := freeAddress()
	if err != nil {
		return nil, 0, err
	}
	farm := exec.Command(bin, "farm", "--data-dir", dir, "--listen", addr, "--admin-listen", "", "--sandbox", r.sandbox)
	if err := farm.Start(); err != nil {
		return nil, 0, err
	}
	defer func() {
		farm.Process.Signal(os.Interrupt)
		farm.Wait()
	}()
	image := ""
	if r.image {
		if image, err = importBusybox(bin, dir); err != nil {
			return nil, 0, err
		}
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, 0, err
	}
	defer conn.Close()
	ctx := context.Background()
	if err := waitForFarm(ctx, conn); err != nil {
		return nil, 0, err
	}
	actionDigest, err := uploadTrivialAction(ctx, grpcclient.NewCAS(conn, "", 1<<20), image)
	if err != nil {
		return nil, 0, err
	}
	exe := remoteexecution.NewExecutionClient(conn)
	// Warm up: wait for the worker to register and the sandbox to settle.
	deadline := time.Now().Add(time.Minute)
	for i := 0; i < 20; {
		if _, err := execute(ctx, exe, actionDigest); err != nil {
			if time.Now().After(deadline) {
				return nil, 0, err
			}
			time.Sleep(200 * time.Millisecond)
			continue
		}
		i++
	}
	lat := make([]time.Duration, 0, n)
	prepared := 0
	for i := 0; i < n; i++ {
		start := time.Now()
		p, err := execute(ctx, exe, actionDigest)
		if err != nil {
			return nil, 0, err
		}
		lat = append(lat, time.Since(start))
		if p {
			prepared++
		}
	}
	return lat, prepared, nil
}

// importBusybox imports a busybox-static image into the farm's store, as
// a user would, and returns its container-image value.
func importBusybox(bin, dataDir string) (string, error) {
	tree := filepath.Join(dataDir, "busybox-tree")
	if err := testimages.Busybox(tree); err != nil {
		return "", err
	}
	img, err := images.FromRootfs(tree, "/bin/sh")
	if err != nil {
		return "", err
	}
	dir := filepath.Join(dataDir, "busybox.oci")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return "", err
	}
	ref := map[string]string{"org.opencontainers.image.ref.name": "bench.invalid/busybox:latest"}
	if err := p.AppendImage(img, layout.WithAnnotations(ref)); err != nil {
		return "", err
	}
	out, err := exec.Command(bin, "image", "import", "--store", filepath.Join(dataDir, "images"), dir).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("image import: %v\n%s", err, out)
	}
	fields := strings.Fields(string(out))
	return "docker://" + fields[len(fields)-1], nil
}

// uploadTrivialAction stores `/bin/true` with an empty input root, on
// image unless it is "", marked do_not_cache so every Execute runs it.
func uploadTrivialAction(ctx context.Context, cas storage.BlobAccess, image string) (*remoteexecution.Digest, error) {
	cmd := &remoteexecution.Command{Arguments: []string{"/bin/true"}}
	if image != "" {
		cmd.Platform = &remoteexecution.Platform{Properties: []*remoteexecution.Platform_Property{{Name: "container-image", Value: image}}}
	}
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

// execute runs the action, checks it succeeded and reports whether it
// found a prepared container.
func execute(ctx context.Context, exe remoteexecution.ExecutionClient, d *remoteexecution.Digest) (bool, error) {
	stream, err := exe.Execute(ctx, &remoteexecution.ExecuteRequest{ActionDigest: d, SkipCacheLookup: true})
	if err != nil {
		return false, err
	}
	for {
		op, err := stream.Recv()
		if err != nil {
			return false, err
		}
		if !op.Done {
			continue
		}
		resp := &remoteexecution.ExecuteResponse{}
		if err := op.GetResponse().UnmarshalTo(resp); err != nil {
			return false, fmt.Errorf("operation %s: %v", op.Name, op.GetError())
		}
		if resp.Status.GetCode() != 0 || resp.Result.GetExitCode() != 0 {
			return false, fmt.Errorf("action failed: %v, exit %d", resp.Status, resp.Result.GetExitCode())
		}
		env := &runnerpb.ExecutionEnvironment{}
		for _, a := range resp.Result.GetExecutionMetadata().GetAuxiliaryMetadata() {
			if a.MessageIs(env) && a.UnmarshalTo(env) == nil {
				return env.Prepared, nil
			}
		}
		return false, nil
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
