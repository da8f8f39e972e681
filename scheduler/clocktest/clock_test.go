package clocktest

import (
	"testing"
	"time"
)

func TestTimersFireOnlyWhenDue(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := New(start)
	early, _ := c.NewTimer(time.Second)
	late, _ := c.NewTimer(time.Minute)
	stopped, stop := c.NewTimer(time.Second)
	if !stop() {
		t.Fatal("stop of a pending timer reported it already stopped")
	}
	c.Advance(2 * time.Second)
	select {
	case got := <-early:
		if !got.Equal(start.Add(2 * time.Second)) {
			t.Errorf("timer fired with %v", got)
		}
	default:
		t.Fatal("due timer did not fire")
	}
	select {
	case <-late:
		t.Fatal("timer fired early")
	case <-stopped:
		t.Fatal("stopped timer fired")
	default:
	}
	if n := c.PendingTimers(); n != 1 {
		t.Fatalf("%d pending timers, want 1", n)
	}
	c.Advance(time.Minute)
	<-late
}

func TestSequentialIDs(t *testing.T) {
	var g SequentialIDs
	if a, b := g.NewID(), g.NewID(); a != "op-1" || b != "op-2" {
		t.Fatalf("got %s, %s", a, b)
	}
}
