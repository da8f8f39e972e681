package scheduler

import "google.golang.org/grpc"

// ServerOptions returns the options a grpc.Server carrying the scheduler's
// services should be created with.
//
// Execute, WaitExecution and idle Synchronize calls spend most of their
// life blocked. gRPC runs a call on a pooled goroutine only when one is
// free, and otherwise starts a new goroutine whose stack then grows by
// copying, call after call. A pool larger than the number of calls blocked
// at once (one per worker slot and per waiting client) avoids that; the
// copying was about 6% of the CPU in test/bench/scheduler.
func (s *Scheduler) ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{grpc.NumStreamWorkers(uint32(s.cfg.StreamWorkers))}
}
