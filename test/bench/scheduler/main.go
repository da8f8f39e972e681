// Command scheduler measures the scheduler over loopback gRPC: dispatch
// throughput (Execute until a worker holds the action) and end-to-end
// throughput (until the client has the result) with 1, 10 and 100
// simulated workers, and memory per queued operation. It prints a table.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"github.com/sandbarn/sandbarn/proto/remoteworker"
	"github.com/sandbarn/sandbarn/scheduler"
	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
	"github.com/sandbarn/sandbarn/storage/memory"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
)

var platform = &remoteexecution.Platform{Properties: []*remoteexecution.Platform_Property{{Name: "OSFamily", Value: "Linux"}}}

func main() {
	ops := flag.Int("ops", 20000, "operations per throughput run")
	clients := flag.Int("clients", 200, "concurrent Execute calls")
	warm := flag.Int("warmup", 2000, "operations run before each measurement, so it sees the steady state")
	queued := flag.Int("queued", 20000, "operations queued for the memory measurement")
	gcPercent := flag.Int("gcpercent", 0, "GOGC for the process (default: bb_scheduler's, 400; the GOGC variable wins)")
	runs := flag.Int("runs", 5, "runs per row; the row shows the median run by end-to-end rate")
	only := flag.Int("workers", 0, "run only this worker count (default: 1, 10 and 100)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the scheduler runs here, and one of the gRPC floor to this name plus .floor")
	memProfile := flag.String("memprofile", "", "write an allocation profile of the scheduler runs here")
	flag.Parse()
	startProfile(*cpuProfile)

	// The process runs with bb_scheduler's collector settings; the
	// simulated clients and workers share them, and so does the floor.
	gc := scheduler.GCSettings{Percent: *gcPercent}.Apply()
	fmt.Printf("GOMAXPROCS=%d, %s, %d concurrent Execute calls; CPU and allocations are the whole process (clients, scheduler, workers)\n\n",
		runtime.GOMAXPROCS(0), gc, *clients)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workers\toperations\tdispatch ops/s\tend-to-end ops/s\t(range)\tCPU µs/op\tops/s per 2 idle cores\tGC CPU\tallocs/op\tKiB/op\t")
	counts := []int{1, 10, 100}
	if *only > 0 {
		counts = []int{*only}
	}
	for _, workers := range counts {
		r, err := median(*runs, func() (result, error) { return throughput(*ops, *warm, *clients, workers) })
		if err != nil {
			log.Fatal(err)
		}
		r.print(tw, fmt.Sprint(workers), *ops)
	}
	pprof.StopCPUProfile()
	writeAllocs(*memProfile)
	if *cpuProfile != "" {
		startProfile(*cpuProfile + ".floor")
	}
	r, err := median(*runs, func() (result, error) { return grpcFloor(*ops, *warm, *clients) })
	if err != nil {
		log.Fatal(err)
	}
	r.print(tw, "gRPC floor", *ops)
	pprof.StopCPUProfile()
	tw.Flush()
	perOp, err := memoryPerQueued(*queued)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("\nmemory per queued operation: %.0f bytes (%d operations queued, no workers)\n", perOp, *queued)
	perDone, err := memoryPerCompleted(*queued)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("memory per completed operation, kept for WaitExecution during completedRetention: %.0f bytes (%d operations)\n", perDone, *queued)
}

// startProfile starts a CPU profile written to path, if path is set.
func startProfile(path string) {
	if path == "" {
		return
	}
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		log.Fatal(err)
	}
}

// writeAllocs writes the allocation profile so far to path, if path is set.
func writeAllocs(path string) {
	if path == "" {
		return
	}
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		log.Fatal(err)
	}
}

// farm is a scheduler behind a loopback TCP listener.
type farm struct {
	cas     *memory.BlobAccess
	conn    *grpc.ClientConn
	cleanup func()
}

func newFarm() (*farm, error) {
	cas := memory.NewCAS()
	cfg := scheduler.Config{StartupGracePeriod: time.Hour, IdleSynchronizeTimeout: 10 * time.Second}
	s, err := scheduler.New(cfg, cas, memory.NewActionCache(), scheduler.SystemClock{}, scheduler.RandomIDs{}, nil)
	if err != nil {
		return nil, err
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	// Housekeeping runs as in bb_scheduler: finished operations expire.
	ctx, cancel := context.WithCancel(context.Background())
	go s.Run(ctx)
	srv := grpc.NewServer(s.ServerOptions()...)
	s.RegisterExecution(srv)
	s.RegisterOperationQueue(srv)
	go srv.Serve(lis)
	conn, err := grpc.NewClient(lis.Addr().String(), clientOptions()...)
	if err != nil {
		cancel()
		return nil, err
	}
	return &farm{cas: cas, conn: conn, cleanup: func() { cancel(); conn.Close(); srv.Stop() }}, nil
}

// newLoadedFarm is a farm whose CAS holds n distinct actions.
func newLoadedFarm(n int) (*farm, []digest.Digest, error) {
	f, err := newFarm()
	if err != nil {
		return nil, nil, err
	}
	digests, err := f.upload(n)
	if err != nil {
		f.cleanup()
		return nil, nil, err
	}
	return f, digests, nil
}

// startWorkers starts n simulated workers and waits until they have had
// time to register and long-poll. stop ends them and waits for them.
func (f *farm) startWorkers(ctx context.Context, n int, onAssigned func()) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runWorker(ctx, remoteworker.NewOperationQueueClient(f.conn), i, onAssigned)
		}()
	}
	time.Sleep(100 * time.Millisecond)
	return func() {
		cancel()
		wg.Wait()
	}
}

// upload stores n distinct actions and returns their digests.
func (f *farm) upload(n int) ([]digest.Digest, error) {
	ctx := context.Background()
	root, err := storage.PutProto(ctx, f.cas, "", &remoteexecution.Directory{})
	if err != nil {
		return nil, err
	}
	out := make([]digest.Digest, n)
	for i := range out {
		cd, err := storage.PutProto(ctx, f.cas, "", &remoteexecution.Command{Arguments: []string{"/bin/true", fmt.Sprint(i, time.Now().UnixNano())}})
		if err != nil {
			return nil, err
		}
		out[i], err = storage.PutProto(ctx, f.cas, "", &remoteexecution.Action{CommandDigest: cd.Proto(), InputRootDigest: root.Proto(), Platform: platform})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// result of one run. cpuMicros, allocs and bytes are the whole
// process's (client, scheduler and workers) per operation: on a shared
// machine the wall-clock rates depend on other load; allocations do not.
type result struct {
	dispatch, endToEnd, cpuMicros float64
	allocs, bytes                 float64
	gcShare                       float64 // of the process's CPU time, as the runtime estimates it
	low, high                     float64 // end-to-end range over the runs
}

func (r result) print(tw *tabwriter.Writer, label string, ops int) {
	dispatch := "-"
	if r.dispatch > 0 {
		dispatch = fmt.Sprintf("%.0f", r.dispatch)
	}
	fmt.Fprintf(tw, "%s\t%d\t%s\t%.0f\t%.0f-%.0f\t%.0f\t%.0f\t%.0f%%\t%.0f\t%.1f\t\n", label, ops, dispatch, r.endToEnd,
		r.low, r.high, r.cpuMicros, 2e6/r.cpuMicros, 100*r.gcShare, r.allocs, r.bytes/1024)
}

// median runs f n times and returns the run with the median end-to-end
// rate, with the range of all runs.
func median(n int, f func() (result, error)) (result, error) {
	var rs []result
	for i := 0; i < max(n, 1); i++ {
		r, err := f()
		if err != nil {
			return result{}, err
		}
		rs = append(rs, r)
	}
	slices.SortFunc(rs, func(a, b result) int { return cmp.Compare(a.endToEnd, b.endToEnd) })
	m := rs[len(rs)/2]
	m.low, m.high = rs[0].endToEnd, rs[len(rs)-1].endToEnd
	return m, nil
}

// meter measures a run: wall time, process CPU and allocations.
type meter struct {
	start        time.Time
	cpu          time.Duration
	mallocs, by  uint64
	gcCPU, total float64
}

func startMeter() meter {
	// The runtime updates its CPU estimates when a collection ends, so
	// each measurement starts and ends with one.
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	gc, total := gcCPU()
	return meter{start: time.Now(), cpu: cpuTime(), mallocs: ms.Mallocs, by: ms.TotalAlloc, gcCPU: gc, total: total}
}

// gcCPU returns the runtime's estimates of the CPU seconds spent in the
// garbage collector and in total.
func gcCPU() (float64, float64) {
	samples := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}, {Name: "/cpu/classes/total:cpu-seconds"}}
	metrics.Read(samples)
	return samples[0].Value.Float64(), samples[1].Value.Float64()
}

// stop returns the result for n operations ending now.
func (m meter) stop(n int) result {
	end, cpu := time.Now(), cpuTime()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	runtime.GC()
	gc, total := gcCPU()
	return result{
		gcShare:   (gc - m.gcCPU) / max(total-m.total, 1e-9),
		endToEnd:  float64(n) / end.Sub(m.start).Seconds(),
		cpuMicros: float64((cpu - m.cpu).Microseconds()) / float64(n),
		allocs:    float64(ms.Mallocs-m.mallocs) / float64(n),
		bytes:     float64(ms.TotalAlloc-m.by) / float64(n),
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func throughput(n, warm, clients, workers int) (result, error) {
	f, digests, err := newLoadedFarm(warm + n)
	if err != nil {
		return result{}, err
	}
	defer f.cleanup()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var assigned atomic.Int64
	dispatchedAll := make(chan time.Time, 1)
	stopWorkers := f.startWorkers(ctx, workers, func() {
		if assigned.Add(1) == int64(warm+n) {
			dispatchedAll <- time.Now()
		}
	})
	exec := remoteexecution.NewExecutionClient(f.conn)
	execute := func(i int) error { return executeOne(ctx, exec, digests[i]) }
	failed := concurrently(warm, clients, execute)
	m := startMeter()
	failed += concurrently(n, clients, func(i int) error { return execute(warm + i) })
	r := m.stop(n)
	stopWorkers()
	if failed > 0 {
		return result{}, fmt.Errorf("%d operations failed", failed)
	}
	dispatched := <-dispatchedAll
	r.dispatch = float64(n) / dispatched.Sub(m.start).Seconds()
	return r, nil
}

// concurrently calls f(0) to f(n-1) from the given number of goroutines
// and returns how many calls failed.
func concurrently(n, goroutines int, f func(i int) error) int64 {
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(n); i = next.Add(1) - 1 {
				if err := f(int(i)); err != nil {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return failed.Load()
}

// executeOne runs one Execute call to its end. It reads past the
// completed Operation to the stream's status: a client stream left
// unfinished keeps its memory and a goroutine until its context ends.
func executeOne(ctx context.Context, exec remoteexecution.ExecutionClient, d digest.Digest) error {
	stream, err := exec.Execute(ctx, &remoteexecution.ExecuteRequest{ActionDigest: d.Proto(), SkipCacheLookup: true})
	if err != nil {
		return err
	}
	done := false
	for {
		msg, err := stream.Recv()
		switch {
		case err == io.EOF && done:
			return nil
		case err == io.EOF:
			return errors.New("stream ended before the operation completed")
		case err != nil:
			return err
		}
		done = done || msg.Done
	}
}

// runWorker takes actions and completes them at once; completion and the
// request for the next action travel in the same Synchronize, as a real
// worker does.
func runWorker(ctx context.Context, queue remoteworker.OperationQueueClient, id int, onAssigned func()) {
	req := &remoteworker.SynchronizeRequest{
		WorkerId:     map[string]string{"hostname": "bench", "slot": fmt.Sprint(id)},
		Platform:     platform,
		CurrentState: &remoteworker.CurrentState{WorkerState: &remoteworker.CurrentState_Idle{Idle: &emptypb.Empty{}}},
	}
	for ctx.Err() == nil {
		resp, err := queue.Synchronize(ctx, req)
		if err != nil {
			return
		}
		ex := resp.GetDesiredState().GetExecuting()
		if ex == nil {
			req.CurrentState = &remoteworker.CurrentState{WorkerState: &remoteworker.CurrentState_Idle{Idle: &emptypb.Empty{}}}
			continue
		}
		onAssigned()
		req.CurrentState = &remoteworker.CurrentState{WorkerState: &remoteworker.CurrentState_Executing_{Executing: &remoteworker.CurrentState_Executing{
			ActionDigest: ex.ActionDigest,
			ExecutionState: &remoteworker.CurrentState_Executing_Completed{Completed: &remoteexecution.ExecuteResponse{
				Result: &remoteexecution.ActionResult{}}},
		}}}
	}
}

// memoryPerQueued queues n operations with no worker and reports the heap
// growth per operation, net of the client streams (which are closed).
func memoryPerQueued(n int) (float64, error) {
	f, digests, err := newLoadedFarm(n)
	if err != nil {
		return 0, err
	}
	defer f.cleanup()
	exec := remoteexecution.NewExecutionClient(f.conn)
	before := heapAlloc()
	for _, d := range digests {
		ctx, cancel := context.WithCancel(context.Background())
		stream, err := exec.Execute(ctx, &remoteexecution.ExecuteRequest{ActionDigest: d.Proto()})
		if err == nil {
			_, err = stream.Recv()
		}
		cancel()
		if err != nil {
			return 0, err
		}
	}
	time.Sleep(200 * time.Millisecond) // let cancelled streams unwind
	after := heapAlloc()
	return float64(after-before) / float64(n), nil
}

// memoryPerCompleted runs n operations to completion and reports the heap
// growth per operation: what the scheduler keeps of a finished operation.
func memoryPerCompleted(n int) (float64, error) {
	f, digests, err := newLoadedFarm(n)
	if err != nil {
		return 0, err
	}
	defer f.cleanup()
	stopWorkers := f.startWorkers(context.Background(), 10, func() {})
	exec := remoteexecution.NewExecutionClient(f.conn)
	before := heapAlloc()
	failed := concurrently(n, 100, func(i int) error { return executeOne(context.Background(), exec, digests[i]) })
	stopWorkers()
	if failed > 0 {
		return 0, fmt.Errorf("%d operations failed", failed)
	}
	time.Sleep(200 * time.Millisecond) // let the workers' calls unwind
	return float64(heapAlloc()-before) / float64(n), nil
}

func heapAlloc() uint64 {
	var m runtime.MemStats
	for i := 0; i < 3; i++ {
		runtime.GC()
	}
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// clientOptions are the simulated clients' and workers' connection
// options. They retry nothing, so gRPC does not keep a copy of every
// request for a transparent retry: the scheduler sees the same calls, and
// less of the shared CPU goes to the simulation.
func clientOptions() []grpc.DialOption {
	return []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithDisableRetry()}
}
