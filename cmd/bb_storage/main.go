// bb_storage serves a local-disk CAS and Action Cache over REAPI
// (ContentAddressableStorage, ByteStream, ActionCache, Capabilities).
//
// Usage: bb_storage CONFIG.jsonnet
package main

import (
	"context"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sandbarn/sandbarn/cmd/internal/configfile"
	"github.com/sandbarn/sandbarn/cmd/internal/grpcstop"
	"github.com/sandbarn/sandbarn/storage/grpcservers"
	"github.com/sandbarn/sandbarn/storage/local"
	"google.golang.org/grpc"
)

// shutdownGrace is how long running RPCs may take to finish after a signal.
const shutdownGrace = 10 * time.Second

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: bb_storage CONFIG.jsonnet")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		log.Fatal("bb_storage: ", err)
	}
}

func run(path string) error {
	var cfg config
	if err := configfile.Load(path, &cfg); err != nil {
		return err
	}
	if err := cfg.validate(); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	cas, err := local.New(local.Options{Dir: cfg.CAS.Directory, MaxSizeBytes: cfg.CAS.MaxSizeBytes, Kind: local.CAS})
	if err != nil {
		return fmt.Errorf("cas: %w", err)
	}
	defer cas.Close()
	ac, err := local.New(local.Options{Dir: cfg.ActionCache.Directory, MaxSizeBytes: cfg.ActionCache.MaxSizeBytes, Kind: local.ActionCache})
	if err != nil {
		return fmt.Errorf("action cache: %w", err)
	}
	defer ac.Close()
	if cfg.UploadDirectory != "" {
		// Partial uploads of a previous run cannot be resumed (their
		// index was in memory), so they only take space.
		if err := os.RemoveAll(cfg.UploadDirectory); err != nil {
			return err
		}
		if err := os.MkdirAll(cfg.UploadDirectory, 0o700); err != nil {
			return err
		}
	}
	opts := grpcservers.Options{MaxMessageSizeBytes: cfg.MaxMessageSizeBytes, UploadDirectory: cfg.UploadDirectory}
	s := grpc.NewServer(opts.ServerOptions()...)
	grpcservers.Register(s, cas, ac, opts)
	lis, err := net.Listen("tcp", cfg.GRPCListenAddress)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go stopOnSignal(ctx, s)
	log.Printf("bb_storage: serving on %s", lis.Addr())
	return s.Serve(lis)
}

// stopOnSignal lets running RPCs finish, but not forever: a client
// streaming a huge blob must not hold up the shutdown.
func stopOnSignal(ctx context.Context, s *grpc.Server) {
	<-ctx.Done()
	log.Print("bb_storage: stopping")
	grpcstop.Graceful(s, shutdownGrace)
}
