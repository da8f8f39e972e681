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

// wait puts w at the back of its class's waiting list for one long poll
// and returns the channel that poll's outcome arrives on, and its place
// in the list. Each poll has its own channel, so a value meant for a
// superseded call of the same worker never reaches a newer one.
func (w *worker) wait() (chan *operation, *list.Element) {
	wake := make(chan *operation, 1)
	w.wake = wake
	w.waitElem = w.class.waiting.PushBack(w)
	return wake, w.waitElem
}

// release takes w off its class's waiting list and ends its long poll
// with op: an assignment, or nil to answer idle.
func (w *worker) release(op *operation) {
	w.class.waiting.Remove(w.waitElem)
	w.waitElem = nil
	w.wake <- op
}

// joinClass makes w a member of c.
func (w *worker) joinClass(c *workerClass) {
	w.class = c
	c.workers++
}

// leaveClass takes w out of its class, ending a long poll idle.
func (w *worker) leaveClass() {
	if w.waitElem != nil {
		w.release(nil)
	}
	w.class.workers--
	w.class = nil
}

// info describes the worker slot for the admin API.
func (w *worker) info() WorkerInfo {
	info := WorkerInfo{ID: w.labels, InstancePrefix: w.class.prefix, Platform: w.class.platform,
		LastSeen: w.lastSeen, Drained: w.drained}
	if w.op != nil {
		info.Operation = w.op.name
	}
	return info
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
