// buildimages builds the OCI images of Sandbarn's programs without a
// Docker daemon (see package images) and writes them as an OCI layout, a
// `docker load` tarball and/or pushes them.
//
// Usage (from the module root):
//
//	go run ./images/cmd/buildimages -layout bin/images [-tarball bin/images.tar]
//	    [-push] [-repository REGISTRY/PREFIX] [-tag TAG]
//	    [-base-layout DIR] [-base NAME=REF,...] [-only bb_worker,bb_runner-ubuntu16-04] [-tags seccomp]
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/sandbarn/sandbarn/images"
)

func main() {
	layoutDir := flag.String("layout", "", "write the images to this OCI layout directory")
	tarballFile := flag.String("tarball", "", "write the images to this `docker load` tarball")
	push := flag.Bool("push", false, "push the images to -repository")
	repository := flag.String("repository", "sandbarn", "registry and path prefix the images are named under")
	tag := flag.String("tag", "latest", "tag of every image")
	baseLayout := flag.String("base-layout", "", "OCI layout holding the base images (instead of pulling them)")
	baseOverrides := flag.String("base", "", "comma-separated NAME=REF base replacements, e.g. bb_runner-debian8=sandbarn/rbe-debian8:latest")
	only := flag.String("only", "", "comma-separated image names to build (default: all)")
	tags := flag.String("tags", "", "comma-separated Go build tags")
	workDir := flag.String("work-dir", filepath.Join(os.TempDir(), "sandbarn-images"), "where compiled binaries are kept")
	flag.Parse()
	if *layoutDir == "" && *tarballFile == "" && !*push {
		log.Fatal("buildimages: give -layout, -tarball and/or -push")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	defs, err := images.OverrideBases(images.Definitions(), splitList(*baseOverrides))
	if err != nil {
		log.Fatal("buildimages: ", err)
	}
	if defs, err = images.Select(defs, splitList(*only)); err != nil {
		log.Fatal("buildimages: ", err)
	}
	root, err := os.Getwd()
	if err != nil {
		log.Fatal("buildimages: ", err)
	}
	compiler := images.GoCompiler{ModuleRoot: root, Tags: splitList(*tags)}
	b, err := images.NewBuilder(compiler, images.BaseSource{Layout: *baseLayout}, *workDir)
	if err != nil {
		log.Fatal("buildimages: ", err)
	}
	built, err := images.BuildAll(ctx, b, defs, *repository, *tag)
	if err != nil {
		log.Fatal("buildimages: ", err)
	}
	if *layoutDir != "" {
		if err := images.WriteLayout(*layoutDir, built); err != nil {
			log.Fatal("buildimages: ", err)
		}
	}
	if *tarballFile != "" {
		if err := images.WriteTarball(*tarballFile, built); err != nil {
			log.Fatal("buildimages: ", err)
		}
	}
	if *push {
		if err := images.Push(ctx, built); err != nil {
			log.Fatal("buildimages: ", err)
		}
	}
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
