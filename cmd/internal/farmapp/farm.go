package farmapp

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	logstreampb "github.com/bazelbuild/remote-apis/build/bazel/remote/logstream/v1"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"google.golang.org/grpc"

	"github.com/sandbarn/sandbarn/cmd/internal/grpcstop"
	"github.com/sandbarn/sandbarn/platform"
	"github.com/sandbarn/sandbarn/scheduler"
	"github.com/sandbarn/sandbarn/storage/configuration"
	"github.com/sandbarn/sandbarn/storage/grpcservers"
	"github.com/sandbarn/sandbarn/storage/logstream"
)

// Run starts the farm and blocks until ctx ends, then stops everything.
// self is the path of the sandbarn binary, started again as the worker and
// the runner.
func Run(ctx context.Context, o Options, self string) error {
	if err := o.normalize(); err != nil {
		return err
	}
	log.Printf("sandbarn farm: garbage collector: %s", scheduler.GCSettings{}.Apply())
	// Partial uploads live only as long as the process that received them.
	if err := os.RemoveAll(o.path("uploads")); err != nil {
		return err
	}
	for _, dir := range []string{o.DataDir, o.path("uploads")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	if o.Sandbox == "container" {
		if err := o.chooseSandboxDir(); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(o.sandboxPath("worker", "build"), 0o755); err != nil {
		return err
	}
	backends := configuration.NewFactory()
	defer backends.Close()
	cas, ac, err := backends.NewBlobstore(o.blobstoreConfig())
	if err != nil {
		return fmt.Errorf("blobstore: %w", err)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	sched, err := scheduler.New(o.schedulerConfig(), cas, ac, scheduler.SystemClock{}, scheduler.RandomIDs{}, reg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go sched.Run(ctx)

	// Live output: the worker writes through the internal socket, clients
	// read on the public port; both reach the store through ByteStream.
	logs := logstream.NewStore(logstream.Options{})
	sched.UseLogStreams(logs)
	opts := grpcservers.Options{Execution: sched.ExecutionCapabilities(), UploadDirectory: o.path("uploads"),
		ByteStreamRoutes: []grpcservers.ByteStreamRoute{{Match: logstream.IsName, Server: logstream.NewByteStream(logs)}}}
	serverOpts := append(opts.ServerOptions(), sched.ServerOptions()...)
	public := grpc.NewServer(serverOpts...)
	grpcservers.Register(public, cas, ac, opts)
	sched.RegisterExecution(public)
	logstreampb.RegisterLogStreamServiceServer(public, logstream.NewService(logs))
	internal := grpc.NewServer(serverOpts...)
	grpcservers.Register(internal, cas, ac, opts)
	sched.RegisterOperationQueue(internal)

	var wg sync.WaitGroup
	serveErr := make(chan error, 3)
	if err := o.serve(&wg, serveErr, public, internal, sched); err != nil {
		return err
	}
	defer wg.Wait()
	defer stopServers(public, internal)

	if err := o.startChildren(ctx, &wg, self); err != nil {
		return err
	}
	o.printBanner()
	select {
	case <-ctx.Done():
		log.Print("sandbarn farm: stopping")
		return nil
	case err := <-serveErr:
		cancel()
		return err
	}
}

// blobstoreConfig is the farm's own storage: a local CAS and Action Cache
// in the data directory, served to clients and, on the internal socket,
// to the worker.
func (o *Options) blobstoreConfig() *configuration.BlobstoreConfiguration {
	local := func(dir string, size int64) configuration.BlobAccessConfiguration {
		return configuration.BlobAccessConfiguration{Local: &configuration.LocalConfiguration{Directory: o.path(dir), MaxSizeBytes: size}}
	}
	return &configuration.BlobstoreConfiguration{
		ContentAddressableStorage: local("cas", o.CASSizeBytes),
		ActionCache:               local("ac", o.ActionCacheSizeBytes),
	}
}

// schedulerConfig routes on everything but the sandbox properties.
func (o *Options) schedulerConfig() scheduler.Config {
	cfg := scheduler.DefaultConfig()
	cfg.PropertyRules = map[string]string{}
	for _, name := range platform.SandboxProperties() {
		cfg.PropertyRules[name] = platform.RuleRunner
	}
	// A restarted worker is back within seconds; a machine-local farm
	// need not wait a minute to call a silent one lost.
	cfg.WorkerLostTimeout = 20 * time.Second
	// A busy worker learns that its action was cancelled at its next
	// synchronization; on one machine these are cheap, so keep the wait
	// for a cancelled action's processes to die short.
	cfg.ExecutingSynchronizeInterval = 2 * time.Second
	return cfg
}

// serve opens the listeners and serves clients, the internal socket for
// the worker, and the admin API.
func (o *Options) serve(wg *sync.WaitGroup, errs chan<- error, public, internal *grpc.Server, sched *scheduler.Scheduler) error {
	publicLis, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return fmt.Errorf("listen for clients: %w", err)
	}
	sock := o.path("internal.sock")
	_ = os.Remove(sock)
	internalLis, err := net.Listen("unix", sock)
	if err != nil {
		publicLis.Close()
		return fmt.Errorf("listen for the worker: %w", err)
	}
	o.Listen = publicLis.Addr().String()
	serveGRPC := func(s *grpc.Server, lis net.Listener) {
		defer wg.Done()
		if err := s.Serve(lis); err != nil {
			errs <- err
		}
	}
	wg.Add(2)
	go serveGRPC(public, publicLis)
	go serveGRPC(internal, internalLis)
	if o.AdminListen == "" {
		return nil
	}
	handler := sched.Handler()
	adminLis, err := net.Listen("tcp", o.AdminListen)
	if err != nil {
		return fmt.Errorf("listen for admin: %w", err)
	}
	go func() {
		if err := http.Serve(adminLis, handler); err != nil && !errors.Is(err, net.ErrClosed) {
			log.Printf("sandbarn farm: admin server: %v", err)
		}
	}()
	return nil
}

// startChildren writes the runner's and worker's configurations and keeps
// both processes running until ctx ends.
func (o *Options) startChildren(ctx context.Context, wg *sync.WaitGroup, self string) error {
	if err := o.makeSlotRoots(); err != nil {
		return err
	}
	runnerCfg, workerCfg := o.path("runner.jsonnet"), o.path("worker.jsonnet")
	if err := writeConfig(runnerCfg, o.runnerConfig()); err != nil {
		return err
	}
	if err := writeConfig(workerCfg, o.workerConfig()); err != nil {
		return err
	}
	for _, s := range []*supervisor{
		{name: "runner", args: []string{self, "runner", runnerCfg}, pidFile: o.path("runner.pid")},
		{name: "worker", args: []string{self, "worker", workerCfg}, pidFile: o.path("worker.pid")},
	} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.run(ctx)
		}()
	}
	return nil
}

// stopServers lets running calls finish briefly, then cuts them off: a
// WaitExecution stream would otherwise hold the farm open.
func stopServers(servers ...*grpc.Server) {
	for _, s := range servers {
		grpcstop.Graceful(s, 2*time.Second)
	}
}

// printBanner tells a person how to use the farm.
func (o *Options) printBanner() {
	fmt.Printf(`Sandbarn farm is up: REAPI on %[1]s, data in %[2]s, %[3]d worker slots, %[4]s sandbox.
Bazel flags:
    --remote_executor=grpc://%[1]s --spawn_strategy=remote --genrule_strategy=remote
Cache only:
    --remote_cache=grpc://%[1]s
`, o.Listen, o.DataDir, o.Concurrency, o.Sandbox)
	if o.AdminListen != "" {
		fmt.Printf("Admin API and metrics: http://%s/ (metrics at /metrics)\n", o.AdminListen)
	}
	fmt.Println("Press Ctrl-C to stop.")
}
