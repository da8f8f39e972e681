// rootfsimage turns a root filesystem directory (from debootstrap, or
// images/recipes) into a single-layer OCI image, without a Docker daemon.
//
// Usage (from the module root):
//
//	go run ./images/cmd/rootfsimage -rootfs DIR -ref NAME:TAG
//	    [-layout DIR] [-tarball FILE] [-push] [-cmd /bin/bash]
//
// It prints the image's digest, which is what an action's container-image
// (docker://NAME@sha256:...) names.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sandbarn/sandbarn/images"
)

func main() {
	rootfs := flag.String("rootfs", "", "root filesystem directory")
	ref := flag.String("ref", "", "reference to name the image by, e.g. registry.example.com/rbe/debian8:latest")
	layoutDir := flag.String("layout", "", "add the image to this OCI layout directory")
	tarballFile := flag.String("tarball", "", "write the image to this `docker load` tarball")
	push := flag.Bool("push", false, "push the image to -ref")
	cmd := flag.String("cmd", "/bin/sh", "the image's default command")
	flag.Parse()
	if *rootfs == "" || *ref == "" || (*layoutDir == "" && *tarballFile == "" && !*push) {
		log.Fatal("rootfsimage: give -rootfs, -ref and at least one of -layout, -tarball, -push")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	tag, err := name.NewTag(*ref)
	if err != nil {
		log.Fatal("rootfsimage: ", err)
	}
	img, err := images.FromRootfs(*rootfs, *cmd)
	if err != nil {
		log.Fatal("rootfsimage: ", err)
	}
	named := []images.Named{{Ref: tag, Image: img}}
	if *layoutDir != "" {
		if err := images.WriteLayout(*layoutDir, named); err != nil {
			log.Fatal("rootfsimage: ", err)
		}
	}
	if *tarballFile != "" {
		if err := images.WriteTarball(*tarballFile, named); err != nil {
			log.Fatal("rootfsimage: ", err)
		}
	}
	if *push {
		if err := images.Push(ctx, named); err != nil {
			log.Fatal("rootfsimage: ", err)
		}
	}
	digest, err := img.Digest()
	if err != nil {
		log.Fatal("rootfsimage: ", err)
	}
	fmt.Printf("%s@%s\n", tag.Context().Name(), digest)
}
