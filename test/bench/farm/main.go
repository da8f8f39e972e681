// Command farm measures trivial actions through a whole `sandbarn farm` on
// loopback: Execute of `/bin/true` with an empty input root, the Action
// Cache bypassed, each client sending its actions back to back: in
// containers on the host rootfs, in containers on a busybox image imported
// with `sandbarn image import` (container-image set), and as plain
// processes. It prints p50 and p90 latency, throughput, and how many
// actions found a prepared container. -addr measures a farm already
// running, such as `make run`'s.
//
// Usage: go run ./test/bench/farm [-sandbarn bin/sandbarn] [-n 1000] [-clients 1,8] [-addr 127.0.0.1:8980]
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
	"sync"
	"time"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/durationpb"

	runnerpb "github.com/sandbarn/sandbarn/proto/runner"
	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/grpcclient"
	testimages "github.com/sandbarn/sandbarn/test/images"
)

// row is one line of the table.
type row struct {
	name, sandbox string
	image         bool
}

// load is how the actions are sent: n in all, from clients at once, each
// client back to back.
type load struct {
	n, clients int
}

func main() {
	bin := flag.String("sandbarn", "bin/sandbarn", "the sandbarn binary (make build)")
	n := flag.Int("n", 1000, "actions per row")
	clients := flag.String("clients", "1", "comma-separated numbers of concurrent clients; each gets rows of its own")
	addr := flag.String("addr", "", "use the farm already serving here (e.g. `make run`'s 127.0.0.1:8980) instead of starting one; its sandbox is not chosen")
	store := flag.String("store", "var/images", "with -addr: that farm's image store, for the busybox image")
	flag.Parse()
	fmt.Printf("%-18s %7s %8s %9s %10s %10s %10s\n", "sandbox", "clients", "actions", "prepared", "p50", "p90", "actions/s")
	rows := []row{{"container", "container", false}, {"container on image", "container", true}, {"process", "process", false}}
	if *addr != "" {
		rows = []row{{"farm", "", false}, {"farm on image", "", true}}
	}
	for _, c := range strings.Split(*clients, ",") {
		var l load
		if _, err := fmt.Sscan(c, &l.clients); err != nil || l.clients < 1 {
			log.Fatalf("-clients: %q is not a positive number", c)
		}
		l.n = *n
		for _, r := range rows {
			res, err := measure(*bin, *addr, *store, r, l)
			if err != nil {
				log.Fatalf("%s: %v", r.name, err)
			}
			res.print(r.name, l.clients)
		}
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }

// result is what one row measured.
type result struct {
	latencies []time.Duration
	prepared  int
	wall      time.Duration
}

func (r result) print(name string, clients int) {
	lat := slices.Sorted(slices.Values(r.latencies))
	fmt.Printf("%-18s %7d %8d %9d %10s %10s %10.0f\n", name, clients, len(lat), r.prepared,
		ms(lat[len(lat)/2]), ms(lat[len(lat)*9/10]), float64(len(lat))/r.wall.Seconds())
}

// measure sends the load to a farm, started with the row's sandbox
// unless addr names one already running.
func measure(bin, addr, store string, r row, l load) (result, error) {
	dir, err := os.MkdirTemp("", "sandbarn-bench-farm-")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(dir)
	if addr == "" {
		var stop func()
		if addr, stop, err = startFarm(bin, dir, r.sandbox); err != nil {
			return result{}, err
		}
		defer stop()
		store = filepath.Join(dir, "images")
	}
	image := ""
	if r.image {
		if image, err = importBusybox(bin, dir, store); err != nil {
			return result{}, err
		}
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return result{}, err
	}
	defer conn.Close()
	ctx := context.Background()
	if err := waitForFarm(ctx, conn); err != nil {
		return result{}, err
	}
	return run(ctx, conn, image, l)
}

// startFarm runs `sandbarn farm` on a free port with its data in dir.
func startFarm(bin, dir, sandbox string) (string, func(), error) {
	addr, err := freeAddress()
	if err != nil {
		return "", nil, err
	}
	farm := exec.Command(bin, "farm", "--data-dir", dir, "--listen", addr, "--admin-listen", "", "--sandbox", sandbox)
	if err := farm.Start(); err != nil {
		return "", nil, err
	}
	return addr, func() {
		farm.Process.Signal(os.Interrupt)
		farm.Wait()
	}, nil
}

// run gives each client an action of its own (identical actions in
// flight would be merged into one), warms the farm up, then times every
// action of the load.
func run(ctx context.Context, conn *grpc.ClientConn, image string, l load) (result, error) {
	cas := grpcclient.NewCAS(conn, "", 1<<20)
	exe := remoteexecution.NewExecutionClient(conn)
	actions := make([]*remoteexecution.Digest, l.clients)
	for c := range actions {
		d, err := uploadTrivialAction(ctx, cas, image, c)
		if err != nil {
			return result{}, err
		}
		if err := warmUp(ctx, exe, d); err != nil {
			return result{}, err
		}
		actions[c] = d
	}
	var mu sync.Mutex
	var res result
	g, gctx := errgroup.WithContext(ctx)
	start := time.Now()
	for c, d := range actions {
		g.Go(func() error {
			for i := c; i < l.n; i += l.clients {
				t := time.Now()
				p, err := execute(gctx, exe, d)
				if err != nil {
					return err
				}
				mu.Lock()
				res.latencies = append(res.latencies, time.Since(t))
				if p {
					res.prepared++
				}
				mu.Unlock()
			}
			return nil
		})
	}
	err := g.Wait()
	res.wall = time.Since(start)
	return res, err
}

// warmUp waits for the worker to register and the sandbox to settle.
func warmUp(ctx context.Context, exe remoteexecution.ExecutionClient, d *remoteexecution.Digest) error {
	deadline := time.Now().Add(time.Minute)
	for i := 0; i < 20; {
		if _, err := execute(ctx, exe, d); err != nil {
			if time.Now().After(deadline) {
				return err
			}
			time.Sleep(200 * time.Millisecond)
			continue
		}
		i++
	}
	return nil
}

// importBusybox imports a busybox-static image into a farm's image store,
// as a user would, and returns its container-image value.
func importBusybox(bin, dataDir, store string) (string, error) {
	tree := filepath.Join(dataDir, "busybox-tree")
	if err := testimages.Busybox(tree); err != nil {
		return "", err
	}
	dir := filepath.Join(dataDir, "busybox.oci")
	if err := testimages.TaggedLayout(tree, dir, "bench.invalid/busybox:latest"); err != nil {
		return "", err
	}
	out, err := exec.Command(bin, "image", "import", "--store", store, dir).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("image import: %v\n%s", err, out)
	}
	fields := strings.Fields(string(out))
	return "docker://" + fields[len(fields)-1], nil
}

// uploadTrivialAction stores `/bin/true` with an empty input root, on
// image unless it is "", marked do_not_cache so every Execute runs it;
// client makes the action its own.
func uploadTrivialAction(ctx context.Context, cas storage.BlobAccess, image string, client int) (*remoteexecution.Digest, error) {
	cmd := &remoteexecution.Command{
		Arguments:            []string{"/bin/true"},
		EnvironmentVariables: []*remoteexecution.Command_EnvironmentVariable{{Name: "BENCH_CLIENT", Value: fmt.Sprint(client)}},
	}
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
