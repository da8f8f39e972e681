package scheduler

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"

	"github.com/sandbarn/sandbarn/proto/remoteworker"
	"github.com/sandbarn/sandbarn/storage/digest"
	"github.com/sandbarn/sandbarn/storage/memory"
)

// TestConcurrentExecuteAndSynchronize runs thousands of Execute calls
// against a pool of workers over gRPC at once, with drains toggling and a
// worker crashing now and then, and checks that every call gets its own
// action's result: no deadlock, no lost or crossed operations.
func TestConcurrentExecuteAndSynchronize(t *testing.T) {
	const actions, duplicates, workers = 1500, 500, 16
	cfg := testConfig()
	cfg.IdleSynchronizeTimeout = 20 * time.Millisecond
	cfg.CrashLoopLimit = 1000
	e := &env{t: t, cas: memory.NewCAS(), ac: memory.NewActionCache()}
	s, err := New(cfg, e.cas, e.ac, SystemClock{}, RandomIDs{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.s = s
	conn := e.serve()
	exec := remoteexecution.NewExecutionClient(conn)
	queue := remoteworker.NewOperationQueueClient(conn)

	digests := make([]digest.Digest, actions)
	exitCodes := map[string]int32{}
	for i := range digests {
		digests[i] = e.upload(actionOpts{actionPlatform: linux, args: []string{"/bin/echo", fmt.Sprint(i)}})
		exitCodes[digests[i].Hash] = int32(i % 250)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	workerCtx, stopWorkers := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var executed atomic.Int64
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runWorker(workerCtx, t, queue, i, exitCodes, &executed)
		}()
	}
	stopDrains := make(chan struct{})
	go toggleDrains(s, stopDrains)

	var clients sync.WaitGroup
	var failures atomic.Int64
	for i := 0; i < actions+duplicates; i++ {
		d := digests[i%actions]
		clients.Add(1)
		go func() {
			defer clients.Done()
			if err := executeAndCheck(ctx, exec, d, exitCodes[d.Hash], fmt.Sprintf("inv-%d", i%7)); err != nil {
				if failures.Add(1) <= 5 {
					t.Error(err)
				}
			}
		}()
	}
	clients.Wait()
	close(stopDrains)
	stopWorkers()
	wg.Wait()
	if n := failures.Load(); n > 0 {
		t.Fatalf("%d of %d Execute calls failed", n, actions+duplicates)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.ops.inFlight) != 0 {
		t.Fatalf("%d operations still in flight after every client finished", len(s.ops.inFlight))
	}
	t.Logf("%d Execute calls, %d executions on workers", actions+duplicates, executed.Load())
}

func executeAndCheck(ctx context.Context, exec remoteexecution.ExecutionClient, d digest.Digest, want int32, invocation string) error {
	stream, err := exec.Execute(ctx, executeRequest("", d, int32(len(invocation)%3)))
	if err != nil {
		return err
	}
	for {
		msg, err := stream.Recv()
		if err != nil {
			return fmt.Errorf("action %s: stream ended before completion: %w", d, err)
		}
		if !msg.Done {
			continue
		}
		resp := &remoteexecution.ExecuteResponse{}
		if err := msg.GetResponse().UnmarshalTo(resp); err != nil {
			return err
		}
		if resp.GetStatus().GetCode() != 0 || resp.GetResult().GetExitCode() != want {
			return fmt.Errorf("action %s: got %v exit %d, want exit %d", d, resp.GetStatus(), resp.GetResult().GetExitCode(), want)
		}
		return nil
	}
}

// runWorker synchronizes in a loop, completing each action with its
// expected exit code; every 97th action it "crashes" (reports idle after
// acknowledging), which must requeue the action, not lose it.
func runWorker(ctx context.Context, t *testing.T, queue remoteworker.OperationQueueClient, id int, exitCodes map[string]int32, executed *atomic.Int64) {
	req := &remoteworker.SynchronizeRequest{
		WorkerId:     map[string]string{"hostname": fmt.Sprintf("w%d", id%4), "slot": fmt.Sprint(id)},
		Platform:     platformProto(linux),
		CurrentState: idleState(),
	}
	for n := 0; ctx.Err() == nil; n++ {
		resp, err := queue.Synchronize(ctx, req)
		if err != nil {
			if ctx.Err() == nil {
				t.Errorf("Synchronize: %v", err)
			}
			return
		}
		ex := assigned(resp)
		if ex == nil {
			req.CurrentState = idleState()
			continue
		}
		if _, err := queue.Synchronize(ctx, &remoteworker.SynchronizeRequest{WorkerId: req.WorkerId, Platform: req.Platform,
			CurrentState: runningState(ex.ActionDigest)}); err != nil {
			return
		}
		executed.Add(1)
		if n%97 == 0 {
			req.CurrentState = idleState()
			continue
		}
		req.CurrentState = completedState(ex.ActionDigest, exitCodes[ex.ActionDigest.Hash])
	}
}

func toggleDrains(s *Scheduler, stop chan struct{}) {
	pattern := map[string]string{"hostname": "w1"}
	for {
		select {
		case <-stop:
			s.Admin().RemoveDrain(pattern)
			return
		case <-time.After(5 * time.Millisecond):
		}
		s.Admin().AddDrain(pattern)
		time.Sleep(2 * time.Millisecond)
		s.Admin().RemoveDrain(pattern)
	}
}
