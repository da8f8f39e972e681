// bb_scheduler queues actions from REAPI clients and hands them to workers
// over the Buildbarn worker protocol. It reads Actions and Commands from a
// remote storage server and serves an admin API with Prometheus metrics.
//
// Usage: bb_scheduler CONFIG.jsonnet
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	logstreampb "github.com/bazelbuild/remote-apis/build/bazel/remote/logstream/v1"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/sandbarn/sandbarn/cmd/internal/configfile"
	"github.com/sandbarn/sandbarn/cmd/internal/grpcstop"
	"github.com/sandbarn/sandbarn/scheduler"
	"github.com/sandbarn/sandbarn/storage/grpcclient"
	"github.com/sandbarn/sandbarn/storage/grpcservers"
	"github.com/sandbarn/sandbarn/storage/logstream"
	"google.golang.org/genproto/googleapis/bytestream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// shutdownGrace bounds how long open streams may delay a stop.
const shutdownGrace = 5 * time.Second

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: bb_scheduler CONFIG.jsonnet")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1]); err != nil {
		log.Fatal("bb_scheduler: ", err)
	}
}

// run serves until ctx ends or a listener fails.
func run(ctx context.Context, path string) error {
	var cfg config
	if err := configfile.Load(path, &cfg); err != nil {
		return err
	}
	if err := cfg.validate(); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	log.Printf("bb_scheduler: garbage collector: %s", scheduler.GCSettings{Percent: cfg.GCPercent, MemoryLimitBytes: cfg.MemoryLimitBytes}.Apply())
	conn, err := grpc.NewClient(cfg.Storage.Address, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(cfg.MaxMessageSizeBytes), grpc.MaxCallSendMsgSize(cfg.MaxMessageSizeBytes)))
	if err != nil {
		return fmt.Errorf("storage %s: %w", cfg.Storage.Address, err)
	}
	defer conn.Close()
	cas := grpcclient.NewCAS(conn, cfg.Storage.InstanceNamePrefix, cfg.Storage.MaxBatchBytes)
	ac := grpcclient.NewActionCache(conn, cfg.Storage.InstanceNamePrefix)

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	sched, err := scheduler.New(cfg.schedulerConfig(), cas, ac, scheduler.SystemClock{}, scheduler.RandomIDs{}, reg)
	if err != nil {
		return err
	}
	go sched.Run(ctx)
	// Live stdout/stderr: workers write the streams on their endpoint,
	// clients read them on theirs.
	logs := logstream.NewStore(logstream.Options{})
	sched.UseLogStreams(logs)
	logBytes := logstream.NewByteStream(logs)

	storageOpts := grpcservers.Options{MaxMessageSizeBytes: cfg.MaxMessageSizeBytes, Execution: sched.ExecutionCapabilities(),
		ByteStreamRoutes: []grpcservers.ByteStreamRoute{{Match: logstream.IsName, Server: logBytes}}}
	serverOpts := append(storageOpts.ServerOptions(), sched.ServerOptions()...)
	clients := grpc.NewServer(serverOpts...)
	sched.RegisterExecution(clients)
	logstreampb.RegisterLogStreamServiceServer(clients, logstream.NewService(logs))
	if cfg.Storage.ProxyStorage {
		grpcservers.Register(clients, cas, ac, storageOpts)
	} else {
		remoteexecution.RegisterCapabilitiesServer(clients, grpcservers.NewCapabilities(storageOpts))
		bytestream.RegisterByteStreamServer(clients, logBytes)
	}
	workers := grpc.NewServer(serverOpts...)
	sched.RegisterOperationQueue(workers)
	bytestream.RegisterByteStreamServer(workers, logBytes)

	errs := make(chan error, 3)
	serve(errs, "clients", cfg.ClientGRPCListenAddress, clients)
	serve(errs, "workers", cfg.WorkerGRPCListenAddress, workers)
	var admin *http.Server
	if cfg.AdminHTTPListenAddress != "" {
		admin = &http.Server{Addr: cfg.AdminHTTPListenAddress, Handler: sched.Handler(), ReadHeaderTimeout: 10 * time.Second}
		go func() {
			log.Printf("bb_scheduler: admin API on %s", cfg.AdminHTTPListenAddress)
			errs <- admin.ListenAndServe()
		}()
	}
	select {
	case err = <-errs:
	case <-ctx.Done():
	}
	log.Print("bb_scheduler: stopping")
	if admin != nil {
		admin.Close()
	}
	grpcstop.Graceful(clients, shutdownGrace)
	grpcstop.Graceful(workers, shutdownGrace)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func serve(errs chan<- error, what, addr string, s *grpc.Server) {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		errs <- fmt.Errorf("%s listener: %w", what, err)
		return
	}
	log.Printf("bb_scheduler: serving %s on %s", what, lis.Addr())
	go func() { errs <- s.Serve(lis) }()
}
