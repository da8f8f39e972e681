package container

import (
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
)

// pool holds the containers prepared ahead of their actions, at most one
// per key: a worker slot runs one action at a time in its own input root.
// After each action the runner asks it to prepare the next container for
// actions like it (fill), and takes that container for the next such
// request (take). Preparation and destruction run in the background. It
// counts how prepared containers serve, logs the ones that fail in one
// line naming image, phase and cause, and stops preparing for a key whose
// input root the worker replaces or whose preparation keeps failing.
type pool struct {
	// prepare creates and starts a container for actions like a; it
	// returns a *StartError naming the phase that failed.
	prepare func(a action) (*prepared, error)
	policy  poolPolicy
	log     *slog.Logger

	mu      sync.Mutex
	entries map[poolKey]*poolEntry
	// stopped marks keys not to prepare for again: input roots the worker
	// replaced rather than refilled in place, and keys whose preparation
	// kept failing. Preparing for them would only waste CPU.
	stopped map[poolKey]bool
	// failures counts each key's preparations failed in a row.
	failures map[poolKey]int
	closed   bool

	// background tracks preparation and destruction off the critical
	// path, for close to wait on.
	background                    sync.WaitGroup
	preparedRuns, prepareFailures atomic.Uint64
}

// poolPolicy says which actions get a container prepared ahead.
type poolPolicy struct {
	// oneShot: none do (Config.OneShot).
	oneShot bool
	// onImages: actions on an image do, not only those on the default
	// rootfs. The init of a container on an image needs a self-contained
	// runner binary (see staticinit.go).
	onImages bool
}

// maxPrepareFailures is how many preparations in a row may fail for one
// key before the pool stops preparing for it: an image whose containers
// cannot come up would otherwise cost a failed container per action.
const maxPrepareFailures = 3

func newPool(prepare func(action) (*prepared, error), policy poolPolicy, log *slog.Logger) *pool {
	return &pool{
		prepare: prepare, policy: policy, log: log,
		entries: map[poolKey]*poolEntry{}, stopped: map[poolKey]bool{}, failures: map[poolKey]int{},
	}
}

// preparable says whether containers are prepared ahead for actions like
// a. The root filesystem of ModeInputRoot is the input root, whose mount
// points exist only while an action runs, so such containers never are.
func (p *pool) preparable(a action) bool {
	if p.policy.oneShot || a.mode == ModeInputRoot {
		return false
	}
	return p.policy.onImages || a.settings.image == ""
}

// take removes the container prepared for actions like a and returns it,
// waiting for its preparation if that is still under way (quicker than
// creating a container from scratch). It returns nil when there is none,
// its preparation failed, or the worker replaced the input root it has
// mounted.
func (p *pool) take(a action) *prepared {
	if !p.preparable(a) {
		return nil
	}
	key := a.poolKey()
	pc := p.claim(key)
	if pc == nil {
		return nil
	}
	if id, err := statID(a.inputRoot); err != nil || id != pc.inputRoot {
		p.inBackground(pc.destroy)
		if p.stop(key) {
			p.log.Warn("sandbox: the input root directory was replaced between actions, so containers cannot be prepared for it; fill it in place to make actions start faster", "path", a.inputRoot)
		}
		return nil
	}
	return pc
}

// finished takes back a container that take returned, after it ran a's
// action with outcome err: it is destroyed off the critical path and
// counted. A container whose init was gone counts as a failed
// preparation of its key; one that could not take the action's limits
// counts as neither a run nor a failure.
func (p *pool) finished(a action, pc *prepared, err error) {
	p.inBackground(pc.destroy)
	key := a.poolKey()
	var fault *StartError
	switch {
	case !errors.Is(err, errPreparedUnusable):
		p.preparedRuns.Add(1)
		p.recordOutcome(key, false)
	case errors.As(err, &fault):
		p.failed(key, fault)
	}
}

// fill prepares a container for the next action like a, off the
// critical path.
func (p *pool) fill(a action) {
	if !p.preparable(a) {
		return
	}
	key := a.poolKey()
	e := p.reserve(key)
	if e == nil {
		return
	}
	p.inBackground(func() {
		pc, err := p.prepare(a)
		if err != nil {
			p.failed(key, err)
		}
		e.complete(pc, err)
	})
}

// failed logs a prepared container that could not serve, in one line
// naming the image, the phase and the cause, and stops preparing for its
// key once that keeps happening.
func (p *pool) failed(key poolKey, err error) {
	p.prepareFailures.Add(1)
	phase := "prepare"
	var se *StartError
	if errors.As(err, &se) {
		phase = se.Phase
		err = se.Err
	}
	p.log.Warn("sandbox: a prepared container failed; its action runs in a container created for it",
		"image", imageLabel(key.image), "phase", phase, "error", err, "input_root", key.inputRoot)
	if p.recordOutcome(key, true) {
		p.log.Warn("sandbox: preparing containers keeps failing here; no more are prepared for this image and input root",
			"image", imageLabel(key.image), "input_root", key.inputRoot, "failures", maxPrepareFailures)
	}
}

// counts returns how many actions ran in a prepared container and how
// many preparations failed.
func (p *pool) counts() (preparedRuns, prepareFailures uint64) {
	return p.preparedRuns.Load(), p.prepareFailures.Load()
}

// close destroys every prepared container, stops further filling and
// waits for the work in the background.
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
	p.background.Wait()
}

func (p *pool) inBackground(f func()) {
	p.background.Add(1)
	go func() {
		defer p.background.Done()
		f()
	}()
}
