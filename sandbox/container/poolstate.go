package container

// poolKey says which requests a prepared container can serve: the input
// root bind-mounted at creation, and the settings that shape the
// container rather than its cgroup limits.
type poolKey struct {
	inputRoot   string
	image       string
	hostNetwork bool
}

func (a action) poolKey() poolKey {
	return poolKey{inputRoot: a.inputRoot, image: a.settings.image, hostNetwork: a.settings.hostNetwork}
}

// poolEntry is a container being prepared; ready closes when pc or err
// is set.
type poolEntry struct {
	ready chan struct{}
	pc    *prepared
	err   error
}

func (e *poolEntry) complete(pc *prepared, err error) {
	e.pc, e.err = pc, err
	close(e.ready)
}

// reserve registers a container about to be prepared for key, so that
// a request arriving meanwhile waits for it; nil if one is there already,
// the key is stopped or the pool is closed. The caller prepares it off
// the critical path and calls complete.
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

// claim removes the entry for key and waits for its preparation. It
// returns nil when there is none or it failed.
func (p *pool) claim(key poolKey) *prepared {
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
