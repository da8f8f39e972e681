package workerapp

import (
	"context"
	"fmt"
	"log"
	"maps"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/sandbarn/sandbarn/proto/remoteworker"
	runnerpb "github.com/sandbarn/sandbarn/proto/runner"
	"github.com/sandbarn/sandbarn/storage/configuration"
	"github.com/sandbarn/sandbarn/worker"
	"github.com/sandbarn/sandbarn/worker/filecache"
	"github.com/sandbarn/sandbarn/worker/inputroot"
	"google.golang.org/genproto/googleapis/bytestream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// Run starts the worker's slots and returns when ctx is done or the worker
// cannot start. Use it from programs that host a worker (bb_worker,
// sandbarn worker).
func Run(ctx context.Context, cfg *Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}

	dial := func(target string) (*grpc.ClientConn, error) {
		return grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)))
	}
	backends := configuration.NewFactory()
	defer backends.Close()
	cas, ac, err := backends.NewBlobstore(&cfg.Blobstore)
	if err != nil {
		return fmt.Errorf("blobstore: %w", err)
	}
	schedulerConn, err := dial(cfg.SchedulerAddress)
	if err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	defer schedulerConn.Close()
	runnerConn, err := dial("unix://" + cfg.RunnerSocket)
	if err != nil {
		return fmt.Errorf("runner: %w", err)
	}
	defer runnerConn.Close()
	runner := runnerpb.NewRunnerClient(runnerConn)
	if err := waitForRunner(ctx, runner); err != nil {
		return err
	}

	if err := os.MkdirAll(cfg.BuildDirectory, 0o755); err != nil {
		return err
	}
	cache, err := filecache.New(cfg.CacheDirectory, cfg.CacheSizeBytes)
	if err != nil {
		return err
	}
	hostname, err := os.Hostname()
	if err != nil {
		return err
	}
	executor := worker.NewExecutor(worker.ExecutorConfig{
		CAS:            cas,
		ActionCache:    ac,
		Runner:         runner,
		Populator:      inputroot.NewPopulator(cas, cache, cfg.FetchConcurrency, cfg.AllowExternalSymlinks),
		BuildDirectory: cfg.BuildDirectory,
		WorkerName:     hostname,
		// Live stdout/stderr go to the log streams the scheduler names.
		LogWriter: bytestream.NewByteStreamClient(schedulerConn),
	})
	log.Printf("bb_worker: %d slots, cache %s holds %d files", cfg.Concurrency, cfg.CacheDirectory, cache.Len())
	runSlots(ctx, cfg, remoteworker.NewOperationQueueClient(schedulerConn), executor, hostname)
	return nil
}

// runSlots runs one Slot per unit of concurrency until ctx is done.
func runSlots(ctx context.Context, cfg *Config, scheduler remoteworker.OperationQueueClient, executor *worker.Executor, hostname string) {
	var wg sync.WaitGroup
	for i := 0; i < cfg.Concurrency; i++ {
		name := strconv.Itoa(i)
		id := map[string]string{}
		maps.Copy(id, cfg.WorkerLabels)
		id["hostname"] = hostname
		id["slot"] = name
		slot := worker.NewSlot(worker.SlotConfig{
			Scheduler: scheduler, Executor: executor, Name: name, WorkerID: id,
			InstanceNamePrefix: cfg.InstanceNamePrefix, Platform: cfg.platform(),
		})
		wg.Add(1)
		go func() {
			defer wg.Done()
			slot.Run(ctx)
		}()
	}
	wg.Wait()
}

// waitForRunner retries CheckReadiness until the runner answers, so the
// worker and runner can start in any order; it gives up after a minute
// rather than hanging unnoticed.
func waitForRunner(ctx context.Context, runner runnerpb.RunnerClient) error {
	deadline := time.Now().Add(time.Minute)
	for {
		callCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := runner.CheckReadiness(callCtx, &runnerpb.CheckReadinessRequest{})
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			return fmt.Errorf("runner not ready: %w", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}
