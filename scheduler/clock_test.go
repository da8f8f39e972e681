package scheduler

import (
	"testing"
	"time"
)

// A pooled timer that fired before it was stopped must not deliver that
// old value to its next user.
func TestSystemClockReusesTimersWithoutStaleValues(t *testing.T) {
	var clk SystemClock
	c, stop := clk.NewTimer(time.Millisecond)
	time.Sleep(10 * time.Millisecond) // fired, value not read
	stop()
	c, stop = clk.NewTimer(time.Hour)
	defer stop()
	select {
	case <-c:
		t.Fatal("a reused timer delivered a value from its previous use")
	case <-time.After(20 * time.Millisecond):
	}
	c2, stop2 := clk.NewTimer(5 * time.Millisecond)
	defer stop2()
	select {
	case <-c2:
	case <-time.After(5 * time.Second):
		t.Fatal("timer did not fire")
	}
}
