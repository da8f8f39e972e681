package scheduler

import (
	"container/list"
	"slices"
	"strconv"
	"time"
)

// worker is one worker slot, identified by its worker_id labels. Guarded
// by Scheduler.mu.
type worker struct {
	key    string
	labels map[string]string
	class  *workerClass

	lastSeen time.Time
	inCall   int // Synchronize calls in progress; such a worker is alive
	drained  bool

	op *operation
	// acked is set once the worker reported executing op, proving it
	// received the assignment.
	acked bool

	// waitElem is the worker's place in class.waiting while it long-polls;
	// whoever removes it sends exactly one value (an operation or nil) on
	// wake, the channel of that wait.
	waitElem *list.Element
	wake     chan *operation
}

// workerKey formats labels canonically: sorted name="value" pairs.
func workerKey(labels map[string]string) string {
	return string(appendWorkerKey(nil, labels))
}

// appendWorkerKey appends workerKey(labels) to b. Synchronize builds the
// key in a stack buffer and looks the worker up without allocating.
func appendWorkerKey(b []byte, labels map[string]string) []byte {
	var buf [8]string
	names := buf[:0]
	for n := range labels {
		names = append(names, n)
	}
	slices.Sort(names)
	b = append(b, '{')
	for i, n := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, n...)
		b = append(b, '=')
		b = strconv.AppendQuote(b, labels[n])
	}
	return append(b, '}')
}

// matchesPattern reports whether every label of the pattern is present
// with the same value.
func matchesPattern(labels, pattern map[string]string) bool {
	for k, v := range pattern {
		if labels[k] != v {
			return false
		}
	}
	return true
}
