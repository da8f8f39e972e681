// bb_runner executes one command per request for bb_worker, serving the
// buildbarn.runner protocol on a UNIX socket.
//
// Usage: bb_runner CONFIG.jsonnet
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/sandbarn/sandbarn/cmd/internal/configfile"
	"github.com/sandbarn/sandbarn/cmd/internal/runnerapp"
	"github.com/sandbarn/sandbarn/sandbox/container"
)

func main() {
	// libcontainer starts each container by re-executing this binary;
	// in that child Init sets the container up and never returns.
	container.Init()
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: bb_runner CONFIG.jsonnet")
		os.Exit(2)
	}
	var cfg runnerapp.Config
	if err := configfile.Load(os.Args[1], &cfg); err != nil {
		log.Fatal("bb_runner: ", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := runnerapp.Run(ctx, &cfg); err != nil {
		log.Fatal("bb_runner: ", err)
	}
}
