package scheduler

import (
	"sync"
	"time"
)

// Clock is the scheduler's only source of time, so tests can replace it.
type Clock interface {
	Now() time.Time
	// NewTimer returns a channel that receives once after d, and a function
	// that stops the timer. Call the function at most once, and do not use
	// the channel after it.
	NewTimer(d time.Duration) (<-chan time.Time, func() bool)
}

// SystemClock is the wall clock. Use it in production.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }

// NewTimer starts a runtime timer. Every operation waits twice (its
// Execute stream and its worker's long poll), so stopped timers are
// reused rather than allocated again.
func (SystemClock) NewTimer(d time.Duration) (<-chan time.Time, func() bool) {
	t, _ := timerPool.Get().(*pooledTimer)
	if t == nil {
		t = &pooledTimer{t: time.NewTimer(d)}
		t.stop = t.release
	} else {
		// Since Go 1.23 a reset timer never delivers a value from before.
		t.t.Reset(d)
	}
	return t.t.C, t.stop
}

var timerPool sync.Pool

// pooledTimer is a runtime timer with its stop function bound once.
type pooledTimer struct {
	t    *time.Timer
	stop func() bool
}

// release stops the timer and returns it to the pool.
func (p *pooledTimer) release() bool {
	stopped := p.t.Stop()
	timerPool.Put(p)
	return stopped
}
