package scheduler

import "github.com/sandbarn/sandbarn/storage/logstream"

// logStreams gives each attempt of an operation a stdout and a stderr
// stream in a log stream store, for clients to follow the action's output
// live. Without a store (the zero value) it does nothing.
type logStreams struct {
	store *logstream.Store
}

// create gives op fresh output streams for this attempt; a requeued
// action starts writing from zero again.
func (l logStreams) create(op *operation) {
	if l.store == nil {
		return
	}
	op.stdoutLog = l.store.Create(op.instance)
	op.stderrLog = l.store.Create(op.instance)
}

// finish ends op's output streams, so readers stop when the attempt
// does, whether or not the worker finished writing them.
func (l logStreams) finish(op *operation) {
	if l.store == nil || op.stdoutLog == nil {
		return
	}
	l.store.Finish(op.stdoutLog.Name)
	l.store.Finish(op.stderrLog.Name)
}
