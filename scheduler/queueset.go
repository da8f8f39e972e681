package scheduler

import (
	"fmt"
	"iter"
	"maps"
	"sort"
	"strings"
	"time"

	"github.com/sandbarn/sandbarn/platform"
)

// queueSet holds the platform queues by key, each with its metric series.
// Instance names and property values come from clients, so queues left
// idle are expired rather than kept for ever. Guarded by Scheduler.mu.
type queueSet struct {
	metrics *metrics
	byKey   map[string]*platformQueue
}

func newQueueSet(m *metrics) *queueSet {
	return &queueSet{metrics: m, byKey: map[string]*platformQueue{}}
}

// get returns the queue with the given key, or nil. The key is a byte
// slice so that callers build it without allocating.
func (qs *queueSet) get(key []byte) *platformQueue {
	return qs.byKey[string(key)]
}

// add creates the queue for an instance name and routing properties; the
// router links it to worker classes.
func (qs *queueSet) add(key, instance string, props []platform.Requirement) *platformQueue {
	q := newPlatformQueue(key, instance, props)
	label := queueLabel(instance, props)
	q.queuedGauge = qs.metrics.queued.WithLabelValues(label)
	q.executingGauge = qs.metrics.executing.WithLabelValues(label)
	qs.byKey[key] = q
	return q
}

// all iterates over the queues.
func (qs *queueSet) all() iter.Seq[*platformQueue] {
	return maps.Values(qs.byKey)
}

// expireIdle drops the queues that have been idle (nothing queued or
// executing) for retention, with their metric series and their links to
// worker classes.
func (qs *queueSet) expireIdle(now time.Time, retention time.Duration) {
	for key, q := range qs.byKey {
		switch {
		case q.queued > 0 || q.executing > 0:
			q.emptySince = time.Time{}
		case q.emptySince.IsZero():
			q.emptySince = now
		case now.Sub(q.emptySince) >= retention:
			for _, c := range q.classes {
				c.dropQueue(q)
			}
			label := queueLabel(q.instance, q.props)
			qs.metrics.queued.DeleteLabelValues(label)
			qs.metrics.executing.DeleteLabelValues(label)
			delete(qs.byKey, key)
		}
	}
}

// infos describes the queues for the admin API, by name.
func (qs *queueSet) infos() []QueueInfo {
	out := make([]QueueInfo, 0, len(qs.byKey))
	for _, q := range qs.byKey {
		out = append(out, q.info())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// queueLabel is a readable name for a queue, used in metrics and the admin
// API.
func queueLabel(instance string, props []platform.Requirement) string {
	parts := make([]string, len(props))
	for i, p := range props {
		parts[i] = p.Name + "=" + p.Value
	}
	return fmt.Sprintf("%q{%s}", instance, strings.Join(parts, ","))
}
