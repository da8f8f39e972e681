package scheduler

import (
	"container/list"

	"github.com/sandbarn/sandbarn/platform"
)

// workerClass groups workers with the same instance name prefix and
// platform; they can all take from the same queues.
type workerClass struct {
	key      string
	prefix   string
	platform platform.Offer
	queues   []*platformQueue
	waiting  *list.List // of *worker, long-polling and not drained
	workers  int
}

func newWorkerClass(key, prefix string, platform platform.Offer) *workerClass {
	return &workerClass{key: key, prefix: prefix, platform: platform, waiting: list.New()}
}
