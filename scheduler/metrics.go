package scheduler

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the scheduler's Prometheus collectors, registered on a
// registry passed in so that several schedulers (tests, one process farm)
// never collide on a global registry.
type metrics struct {
	queued            *prometheus.GaugeVec
	executing         *prometheus.GaugeVec
	queuedDuration    prometheus.Histogram
	executingDuration prometheus.Histogram
	dispatches        prometheus.Counter
	merges            prometheus.Counter
	requeues          *prometheus.CounterVec
	completed         *prometheus.CounterVec
	cacheHits         prometheus.Counter
	workers           prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	buckets := prometheus.ExponentialBuckets(0.001, 4, 12)
	m := &metrics{
		queued: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "sandbarn", Subsystem: "scheduler", Name: "queued_operations",
			Help: "Operations waiting for a worker, per platform queue.",
		}, []string{"queue"}),
		executing: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "sandbarn", Subsystem: "scheduler", Name: "executing_operations",
			Help: "Operations assigned to a worker, per platform queue.",
		}, []string{"queue"}),
		queuedDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "sandbarn", Subsystem: "scheduler", Name: "queued_duration_seconds",
			Help: "Time from queueing to assignment to a worker.", Buckets: buckets,
		}),
		executingDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "sandbarn", Subsystem: "scheduler", Name: "executing_duration_seconds",
			Help: "Time from assignment to completion.", Buckets: buckets,
		}),
		dispatches: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "sandbarn", Subsystem: "scheduler", Name: "dispatches_total",
			Help: "Operations handed to workers.",
		}),
		merges: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "sandbarn", Subsystem: "scheduler", Name: "merges_total",
			Help: "Execute calls attached to an identical operation in flight.",
		}),
		requeues: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "sandbarn", Subsystem: "scheduler", Name: "requeues_total",
			Help: "Operations put back in the queue, by reason.",
		}, []string{"reason"}),
		completed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "sandbarn", Subsystem: "scheduler", Name: "completed_total",
			Help: "Operations finished, by status code.",
		}, []string{"code"}),
		cacheHits: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "sandbarn", Subsystem: "scheduler", Name: "action_cache_hits_total",
			Help: "Execute calls answered from the Action Cache.",
		}),
		workers: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "sandbarn", Subsystem: "scheduler", Name: "workers",
			Help: "Workers known to the scheduler.",
		}),
	}
	for _, c := range []prometheus.Collector{m.queued, m.executing, m.queuedDuration, m.executingDuration,
		m.dispatches, m.merges, m.requeues, m.completed, m.cacheHits, m.workers} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
