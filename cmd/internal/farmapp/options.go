package farmapp

import (
	"fmt"
	"path/filepath"
	"runtime"
)

// Options are the farm's few settings; everything else has a default
// suited to one machine.
type Options struct {
	// DataDir holds storage, the worker's cache and build directories, the
	// generated configurations and the sockets.
	DataDir string
	// Listen is the address REAPI clients connect to.
	Listen string
	// AdminListen serves the scheduler's admin API and metrics over HTTP;
	// empty disables it.
	AdminListen string
	// Concurrency is the number of worker slots; zero means one per CPU.
	Concurrency int
	// Sandbox is the runner's sandbox: "container" or "process".
	Sandbox string
	// CASSizeBytes and ActionCacheSizeBytes bound the stores;
	// FileCacheSizeBytes bounds the worker's file cache.
	CASSizeBytes         int64
	ActionCacheSizeBytes int64
	FileCacheSizeBytes   int64
	ImageStoreSizeBytes  int64

	// sandboxDir holds what sandboxes mount from (the worker's build
	// directory and cache, the runner's state, images): the data directory,
	// unless sandbox users cannot reach it.
	sandboxDir string
}

// normalize fills in defaults and makes paths absolute, since the child
// processes get them through configuration files.
func (o *Options) normalize() error {
	if o.DataDir == "" {
		o.DataDir = "var"
	}
	abs, err := filepath.Abs(o.DataDir)
	if err != nil {
		return err
	}
	o.DataDir = abs
	o.sandboxDir = abs
	if o.Listen == "" {
		o.Listen = "127.0.0.1:8980"
	}
	if o.Concurrency <= 0 {
		o.Concurrency = runtime.NumCPU()
	}
	switch o.Sandbox {
	case "container", "process":
	default:
		return fmt.Errorf("sandbox must be \"container\" or \"process\", not %q", o.Sandbox)
	}
	defaults := []struct {
		v   *int64
		def int64
	}{
		{&o.CASSizeBytes, 20 << 30},
		{&o.ActionCacheSizeBytes, 1 << 30},
		{&o.FileCacheSizeBytes, 10 << 30},
		{&o.ImageStoreSizeBytes, 20 << 30},
	}
	for _, d := range defaults {
		if *d.v <= 0 {
			*d.v = d.def
		}
	}
	return nil
}

// sandboxPath returns a path below the directory sandboxes mount from.
func (o *Options) sandboxPath(elem ...string) string {
	return filepath.Join(append([]string{o.sandboxDir}, elem...)...)
}

// path returns a path below the data directory.
func (o *Options) path(elem ...string) string {
	return filepath.Join(append([]string{o.DataDir}, elem...)...)
}
