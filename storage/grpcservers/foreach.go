package grpcservers

import "sync"

// batchParallelism is how many blobs of one batch are read or written at
// once. Small blobs cost file-system latency more than CPU, so overlapping
// a few pays off even on two cores.
const batchParallelism = 8

// forEach calls f(0) ... f(n-1), up to batchParallelism at a time, and
// returns when all have returned.
func forEach(n int, f func(i int)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(n, batchParallelism) {
		wg.Go(func() {
			for i := range next {
				f(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}
