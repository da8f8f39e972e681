package farmapp

import (
	"encoding/json"
	"os"
	"strconv"

	"github.com/sandbarn/sandbarn/cmd/internal/runnerapp"
	"github.com/sandbarn/sandbarn/cmd/internal/workerapp"
	"github.com/sandbarn/sandbarn/sandbox/container"
	"github.com/sandbarn/sandbarn/storage/configuration"
)

// Properties workers advertise by default; Bazel's RBE platforms route on
// them.
var defaultPlatform = map[string]string{"OSFamily": "Linux", "ISA": "x86-64"}

// chrootInstance is the instance name the farm serves in input-root
// mode.
const chrootInstance = "chroot"

// runnerConfig is the configuration of the farm's runner.
func (o *Options) runnerConfig() runnerapp.Config {
	roots := make([]string, o.Concurrency)
	for i := range roots {
		roots[i] = o.slotRoot(i)
	}
	return runnerapp.Config{
		BuildDirectory: o.sandboxPath("worker", "build"),
		GRPCListenPath: o.path("runner.sock"),
		Sandbox:        o.Sandbox,
		Container: runnerapp.ContainerConfig{
			StateDirectory:    o.sandboxPath("runner"),
			PrepareInputRoots: roots,
			// A farm built without libseccomp still runs; the runner
			// logs that the profile is off.
			DisableSeccomp: !container.SeccompSupported(),
			// BuildStream and BuildGrid send a whole sysroot as the input
			// root and expect it to be /: they use instance "chroot".
			ExecutionModes: []runnerapp.ExecutionModeConfig{
				{InstanceNamePrefix: "", Mode: string(container.ModeImage)},
				{InstanceNamePrefix: chrootInstance, Mode: string(container.ModeInputRoot)},
			},
			// container-image values come from this store: imported with
			// `sandbarn image`, or pulled (loopback registries over HTTP).
			Images: &runnerapp.ImagesConfig{Directory: o.sandboxPath("images"), SizeLimitBytes: o.ImageStoreSizeBytes},
		},
	}
}

// workerConfig is the configuration of the farm's worker.
func (o *Options) workerConfig() workerapp.Config {
	internal := "unix://" + o.path("internal.sock")
	// The farm serves its storage to the worker on the internal socket.
	storage := configuration.BlobAccessConfiguration{GRPC: &configuration.GRPCConfiguration{Address: internal}}
	return workerapp.Config{
		SchedulerAddress: internal,
		Blobstore:        configuration.BlobstoreConfiguration{ContentAddressableStorage: storage, ActionCache: storage},
		RunnerSocket:     o.path("runner.sock"),
		BuildDirectory:   o.sandboxPath("worker", "build"),
		CacheDirectory:   o.sandboxPath("worker", "cache"),
		CacheSizeBytes:   o.FileCacheSizeBytes,
		Concurrency:      o.Concurrency,
		Platform:         defaultPlatform,
	}
}

// writeConfig stores a child's configuration as JSON (which is Jsonnet),
// so an operator can read what the farm runs and start the piece by hand.
func writeConfig(path string, cfg any) error {
	data, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// slotRoot is the input root of worker slot i, relative to the build
// directory.
func (o *Options) slotRoot(i int) string {
	return strconv.Itoa(i) + "/root"
}

// makeSlotRoots creates the slots' input roots before the runner starts,
// so it can prepare a sandbox for each slot's first action.
func (o *Options) makeSlotRoots() error {
	for i := 0; i < o.Concurrency; i++ {
		if err := os.MkdirAll(o.sandboxPath("worker", "build", o.slotRoot(i)), 0o755); err != nil {
			return err
		}
	}
	return nil
}
