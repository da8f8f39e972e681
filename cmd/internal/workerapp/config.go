package workerapp

import (
	"fmt"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"github.com/sandbarn/sandbarn/storage/configuration"
)

// Config is bb_worker's Jsonnet configuration.
type Config struct {
	// SchedulerAddress is a gRPC target, e.g. "127.0.0.1:8981" or
	// "unix:///run/sandbarn/scheduler.sock".
	SchedulerAddress string `json:"schedulerAddress"`
	// Blobstore is where inputs are read and outputs written: usually
	// grpc backends pointing at bb_storage.
	Blobstore configuration.BlobstoreConfiguration `json:"blobstore"`
	// RunnerSocket is the path of the runner's UNIX socket.
	RunnerSocket string `json:"runnerSocket"`
	// BuildDirectory holds one directory per slot and must be the runner's
	// build directory too; it should be on the same filesystem as
	// CacheDirectory so inputs can be hardlinked.
	BuildDirectory string `json:"buildDirectory"`
	CacheDirectory string `json:"cacheDirectory"`
	CacheSizeBytes int64  `json:"cacheSizeBytes"`
	// Concurrency is the number of slots: actions run at once.
	Concurrency        int    `json:"concurrency"`
	InstanceNamePrefix string `json:"instanceNamePrefix"`
	// Platform is advertised to the scheduler for routing.
	Platform map[string]string `json:"platform"`
	// WorkerLabels are added to each slot's worker ID.
	WorkerLabels map[string]string `json:"workerLabels"`
	// FetchConcurrency bounds parallel input downloads per action; 0
	// means 32.
	FetchConcurrency int `json:"fetchConcurrency,omitempty"`
	// AllowExternalSymlinks accepts input symlinks pointing outside the
	// input root.
	AllowExternalSymlinks bool `json:"allowExternalSymlinks,omitempty"`
}

// Validate checks required fields and fills in defaults. The storage
// factory checks the blobstore while building it.
func (c *Config) Validate() error {
	switch {
	case c.SchedulerAddress == "":
		return fmt.Errorf("schedulerAddress is required")
	case c.RunnerSocket == "":
		return fmt.Errorf("runnerSocket is required")
	case c.BuildDirectory == "" || c.CacheDirectory == "":
		return fmt.Errorf("buildDirectory and cacheDirectory are required")
	case c.CacheSizeBytes <= 0:
		return fmt.Errorf("cacheSizeBytes must be positive")
	case c.Concurrency <= 0:
		return fmt.Errorf("concurrency must be positive")
	}
	if c.FetchConcurrency == 0 {
		c.FetchConcurrency = 32
	}
	return nil
}

// platform returns the configured properties sorted by name, as REAPI
// requires.
func (c *Config) platform() *remoteexecution.Platform {
	p := &remoteexecution.Platform{}
	for _, name := range sortedKeys(c.Platform) {
		p.Properties = append(p.Properties, &remoteexecution.Platform_Property{Name: name, Value: c.Platform[name]})
	}
	return p
}
