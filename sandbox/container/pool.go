package container

import (
	"sync"
)

// poolKey says which requests a prepared container can serve: the input
// root bind-mounted at creation, and the settings that shape the
// container rather than its cgroup limits.
type poolKey struct {
	inputRoot   string
	image       string
	hostNetwork bool
}

// maxPrepareFailures is how many preparations in a row may fail for one
// key before the pool stops preparing for it: an image whose containers
// cannot come up would otherwise cost a failed container per action.
const maxPrepareFailures = 3

func (a action) poolKey() poolKey {
	return poolKey{inputRoot: a.inputRoot, image: a.settings.image, hostNetwork: a.settings.hostNetwork}
}

// pool holds at most one prepared container per key: a worker slot runs
// one action at a time in its own input root.
type pool struct {
	mu      sync.Mutex
	entries map[poolKey]*poolEntry
	// stopped marks keys not to prepare for again: input roots the worker
	// replaced rather than refilled in place, and keys whose preparation
	// kept failing. Preparing for them would only waste CPU.
	stopped map[poolKey]bool
	// failures counts each key's preparations failed in a row.
	failures map[poolKey]int
	closed   bool
}

// poolEntry is a container being prepared; ready closes when pc or err
// is set.
type poolEntry struct {
	ready chan struct{}
	pc    *prepared
	err   error
}

func newPool() *pool {
	return &pool{entries: map[poolKey]*poolEntry{}, stopped: map[poolKey]bool{}, failures: map[poolKey]int{}}
}

// stop stops preparing for key; it reports whether this is news.
func (p *pool) stop(key poolKey) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	news := !p.stopped[key]
	p.stopped[key] = true
	return news
}

// recordOutcome counts a preparation for key that failed or not. It
// reports true once, when failures in a row reach maxPrepareFailures and
// the pool stops preparing for key.
func (p *pool) recordOutcome(key poolKey, failed bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !failed {
		delete(p.failures, key)
		return false
	}
	p.failures[key]++
	if p.failures[key] < maxPrepareFailures || p.stopped[key] {
		return false
	}
	p.stopped[key] = true
	return true
}

// take removes the entry for key and waits for its preparation, which is
// still quicker than creating a container from scratch. It returns nil
// when there is none or it failed.
func (p *pool) take(key poolKey) *prepared {
	p.mu.Lock()
	e := p.entries[key]
	delete(p.entries, key)
	p.mu.Unlock()
	if e == nil {
		return nil
	}
	<-e.ready
	if e.err != nil {
		return nil
	}
	return e.pc
}

// reserve registers a container about to be prepared for key, so that
// a request arriving meanwhile waits for it; nil if one is there already
// or the pool is closed. The caller prepares it off the critical path and
// calls complete.
func (p *pool) reserve(key poolKey) *poolEntry {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.entries[key] != nil || p.stopped[key] {
		return nil
	}
	e := &poolEntry{ready: make(chan struct{})}
	p.entries[key] = e
	return e
}

func (e *poolEntry) complete(pc *prepared, err error) {
	e.pc, e.err = pc, err
	close(e.ready)
}

// close destroys every prepared container and stops further filling.
func (p *pool) close() {
	p.mu.Lock()
	p.closed = true
	entries := p.entries
	p.entries = map[poolKey]*poolEntry{}
	p.mu.Unlock()
	for _, e := range entries {
		<-e.ready
		if e.pc != nil {
			e.pc.destroy()
		}
	}
}

// initPIDs returns the host pids of the prepared inits, for tests that
// look for leftover processes.
func (p *pool) initPIDs() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	var pids []int
	for _, e := range p.entries {
		select {
		case <-e.ready:
			if e.pc != nil {
				if pid, err := e.pc.init.Pid(); err == nil {
					pids = append(pids, pid)
				}
			}
		default:
		}
	}
	return pids
}
