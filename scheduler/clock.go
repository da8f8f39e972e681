package scheduler

import (
	"crypto/rand"
	"encoding/base64"
	"time"
)

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

// IDGenerator names operations.
type IDGenerator interface {
	NewID() string
}

// RandomIDs produces 128-bit names from crypto/rand so that operation names
// cannot be guessed by another client. Use it in production.
type RandomIDs struct{}

// NewID returns a fresh random name.
func (RandomIDs) NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		// crypto/rand.Read never fails on Linux 3.17+ (getrandom).
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}
