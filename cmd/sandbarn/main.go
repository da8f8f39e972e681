// sandbarn runs a whole build farm on one machine (`sandbarn farm`) and
// hosts the farm's worker and runner processes.
//
// Usage:
//
//	sandbarn farm [--data-dir DIR] [--listen ADDR] [--admin-listen ADDR] [--concurrency N] [--sandbox container|process]
//	sandbarn worker CONFIG.jsonnet
//	sandbarn runner CONFIG.jsonnet
//	sandbarn image pull|import|ls|rm ... (the image store, default var/images)
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/sandbarn/sandbarn/cmd/internal/configfile"
	"github.com/sandbarn/sandbarn/cmd/internal/farmapp"
	"github.com/sandbarn/sandbarn/cmd/internal/imagecmd"
	"github.com/sandbarn/sandbarn/cmd/internal/runnerapp"
	"github.com/sandbarn/sandbarn/cmd/internal/workerapp"
	"github.com/sandbarn/sandbarn/sandbox/container"
)

func main() {
	// libcontainer starts each container by re-executing this binary;
	// in that child Init sets the container up and never returns.
	container.Init()
	if len(os.Args) < 2 {
		usage()
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "farm":
		err = farm(ctx, args)
	case "worker":
		var cfg workerapp.Config
		if err = loadConfig(args, &cfg); err == nil {
			err = workerapp.Run(ctx, &cfg)
		}
	case "image":
		err = imagecmd.Run(ctx, args, os.Stdout, slog.Default())
	case "runner":
		var cfg runnerapp.Config
		if err = loadConfig(args, &cfg); err == nil {
			err = runnerapp.Run(ctx, &cfg)
		}
	default:
		usage()
	}
	if err != nil {
		log.Fatalf("sandbarn %s: %v", os.Args[1], err)
	}
}

func farm(ctx context.Context, args []string) error {
	var o farmapp.Options
	fs := flag.NewFlagSet("farm", flag.ExitOnError)
	fs.StringVar(&o.DataDir, "data-dir", "var", "directory for all the farm's data")
	fs.StringVar(&o.Listen, "listen", "127.0.0.1:8980", "address for REAPI clients")
	fs.StringVar(&o.AdminListen, "admin-listen", "127.0.0.1:8981", "address of the admin API and metrics (empty: off)")
	fs.IntVar(&o.Concurrency, "concurrency", 0, "worker slots (0: one per CPU)")
	fs.StringVar(&o.Sandbox, "sandbox", "container", "how actions run: container or process")
	fs.Int64Var(&o.CASSizeBytes, "cas-size", 20<<30, "CAS size limit in bytes")
	fs.Int64Var(&o.FileCacheSizeBytes, "file-cache-size", 10<<30, "worker file cache size limit in bytes")
	fs.Parse(args)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	return farmapp.Run(ctx, o, self)
}

func loadConfig(args []string, out any) error {
	if len(args) != 1 {
		usage()
	}
	return configfile.Load(args[0], out)
}

func usage() {
	fmt.Fprintln(os.Stderr, `usage:
  sandbarn farm [--data-dir DIR] [--listen ADDR] [--admin-listen ADDR] [--concurrency N] [--sandbox container|process]
  sandbarn worker CONFIG.jsonnet
  sandbarn runner CONFIG.jsonnet
`+imagecmd.Usage)
	os.Exit(2)
}
