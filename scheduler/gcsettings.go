package scheduler

import (
	"fmt"
	"os"
	"runtime/debug"
)

// GCSettings are the garbage collector settings of a process hosting the
// scheduler.
//
// The scheduler's live heap is small (about 1.4 KB per queued operation,
// 0.6 KB per completed one) while every operation allocates tens of
// kilobytes in gRPC and protobuf, so with Go's default GOGC=100 the
// collector runs every few megabytes: about 12% of the CPU in
// test/bench/scheduler, against 4% at 400. A larger Percent trades heap
// for CPU; MemoryLimitBytes, when set, makes the collector work harder as
// the heap approaches it, so a large queue cannot grow the heap
// Percent-fold past what the host has.
type GCSettings struct {
	// Percent is GOGC: the heap may grow this many percent over the live
	// heap before a collection. 0 means DefaultGCPercent.
	Percent int
	// MemoryLimitBytes is GOMEMLIMIT, a soft limit on the process's
	// memory. 0 means none.
	MemoryLimitBytes int64
}

// DefaultGCPercent is the GOGC the scheduler's processes run with unless
// configured otherwise.
const DefaultGCPercent = 400

// Apply sets the collector for the whole process, except what the GOGC and
// GOMEMLIMIT environment variables already set, and describes the result
// for the log.
func (g GCSettings) Apply() string {
	percent := "GOGC=" + os.Getenv("GOGC") + " (from the environment)"
	if os.Getenv("GOGC") == "" {
		p := g.Percent
		if p == 0 {
			p = DefaultGCPercent
		}
		debug.SetGCPercent(p)
		percent = fmt.Sprintf("GOGC=%d", p)
	}
	limit := "no memory limit"
	switch {
	case os.Getenv("GOMEMLIMIT") != "":
		limit = "GOMEMLIMIT=" + os.Getenv("GOMEMLIMIT") + " (from the environment)"
	case g.MemoryLimitBytes > 0:
		debug.SetMemoryLimit(g.MemoryLimitBytes)
		limit = fmt.Sprintf("memory limit %d MiB", g.MemoryLimitBytes>>20)
	}
	return percent + ", " + limit
}
