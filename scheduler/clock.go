package scheduler

import "time"

// Clock is the scheduler's only source of time, so tests can replace it.
type Clock interface {
	Now() time.Time
	// NewTimer returns a channel that receives once after d, and a function
	// that stops the timer.
	NewTimer(d time.Duration) (<-chan time.Time, func() bool)
}

// SystemClock is the wall clock. Use it in production.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }

// NewTimer starts a runtime timer.
func (SystemClock) NewTimer(d time.Duration) (<-chan time.Time, func() bool) {
	t := time.NewTimer(d)
	return t.C, t.Stop
}
