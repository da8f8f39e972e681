// bb_worker takes actions from the scheduler, materialises their input
// roots from a local file cache, has a runner execute them over a UNIX
// socket, and uploads the results.
//
// Usage: bb_worker CONFIG.jsonnet
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/sandbarn/sandbarn/cmd/internal/configfile"
	"github.com/sandbarn/sandbarn/cmd/internal/workerapp"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: bb_worker CONFIG.jsonnet")
		os.Exit(2)
	}
	var cfg workerapp.Config
	if err := configfile.Load(os.Args[1], &cfg); err != nil {
		log.Fatal("bb_worker: ", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := workerapp.Run(ctx, &cfg); err != nil {
		log.Fatal("bb_worker: ", err)
	}
}
