package container

// Stats counts how actions found their containers, so an operator (and a
// test) can see that prepared containers are really used and that a
// fault is not hidden behind the fallback to a container created for the
// request.
type Stats struct {
	// PreparedRuns ran in a container prepared ahead of their request.
	PreparedRuns uint64
	// ColdRuns ran in a container created for them: the first action in
	// an input root, another image, ModeInputRoot, OneShot, or a
	// fallback.
	ColdRuns uint64
	// PrepareFailures are containers whose preparation failed, or whose
	// init was gone when an action came for it.
	PrepareFailures uint64
}

// Stats returns the counts so far.
func (r *Runner) Stats() Stats {
	prepared, failures := r.pool.counts()
	return Stats{PreparedRuns: prepared, ColdRuns: r.coldRuns.Load(), PrepareFailures: failures}
}
