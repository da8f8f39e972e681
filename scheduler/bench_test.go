package scheduler

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sandbarn/sandbarn/proto/remoteworker"
	"github.com/sandbarn/sandbarn/storage/digest"
)

// BenchmarkQueueCore measures the scheduler without gRPC: Execute
// (validation against an in-memory CAS, queueing), dispatch to one of 10
// long-polling workers and completion, per operation.
func BenchmarkQueueCore(b *testing.B) {
	cfg := testConfig()
	e := newEnv(b, cfg)
	e.s = e.newScheduler(cfg, SystemClock{})
	ds := make([]digest.Digest, b.N)
	for i := range ds {
		ds[i] = e.upload(actionOpts{actionPlatform: linux, args: []string{fmt.Sprint(i)}})
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for w := 0; w < 10; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := &remoteworker.SynchronizeRequest{WorkerId: map[string]string{"slot": fmt.Sprint(w)}, Platform: platformProto(linux), CurrentState: idleState()}
			for ctx.Err() == nil {
				resp, err := e.synchronize(ctx, req)
				if err != nil {
					return
				}
				if ex := assigned(resp); ex != nil {
					req.CurrentState = completedState(ex.ActionDigest, 0)
				} else {
					req.CurrentState = idleState()
				}
			}
		}()
	}
	// The scheduler refuses actions no registered worker can run, so wait
	// for all ten to have synchronized once.
	for len(e.s.Admin().Workers()) < 10 {
		time.Sleep(time.Millisecond)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var clients sync.WaitGroup
	const clientCount = 100
	per := (b.N + clientCount - 1) / clientCount
	for c := 0; c < clientCount; c++ {
		clients.Add(1)
		go func() {
			defer clients.Done()
			for i := c * per; i < min(b.N, (c+1)*per); i++ {
				op, _, err := e.s.execute(ctx, executeRequest("", ds[i], 0))
				if err != nil {
					b.Error(err)
					return
				}
				e.s.mu.Lock()
				ch := op.changed
				done := op.done()
				e.s.mu.Unlock()
				for !done {
					<-ch
					e.s.mu.Lock()
					ch, done = op.changed, op.done()
					e.s.mu.Unlock()
				}
			}
		}()
	}
	clients.Wait()
	b.StopTimer()
	cancel()
	wg.Wait()
}
