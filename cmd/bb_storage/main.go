// bb_storage serves a CAS and an Action Cache over REAPI
// (ContentAddressableStorage, ByteStream, ActionCache, Capabilities),
// on local disk or any other backend storage/configuration builds.
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
	"github.com/sandbarn/sandbarn/storage/configuration"
	"github.com/sandbarn/sandbarn/storage/grpcservers"
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
	backends := configuration.NewFactory()
	defer backends.Close()
	cas, ac, err := backends.NewBlobstore(&cfg.Blobstore)
	if err != nil {
		return fmt.Errorf("config %s: blobstore: %w", path, err)
	}
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
