package container

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"

	"github.com/sandbarn/sandbarn/errkind"
	runnerpb "github.com/sandbarn/sandbarn/proto/runner"
	"github.com/sandbarn/sandbarn/sandbox"
	"github.com/sandbarn/sandbarn/sandbox/buildpath"
)

// Runner runs each request in a container of its own. It is safe for
// concurrent use by the worker's build slots.
type Runner struct {
	cfg      Config
	rootless bool
	identity identity
	cgroups  cgroupSetup
	stateDir string
	nextID   atomic.Uint64
	// pool holds the containers prepared ahead of their actions.
	pool *pool
	// coldRuns counts actions that ran in a container created for them.
	coldRuns atomic.Uint64
}

var _ sandbox.Runner = (*Runner)(nil)

// New checks the configuration and prepares the host side (state
// directory, cgroup layout). Use it for bb_runner when actions must be
// isolated from the host and from each other; the caller's main must have
// called Init.
func New(cfg Config) (*Runner, error) {
	if err := sandbox.CloseInheritedOnExec(); err != nil {
		return nil, err
	}
	rootless := os.Geteuid() != 0
	cfg.applyDefaults(rootless)
	if err := cfg.validate(rootless); err != nil {
		return nil, fmt.Errorf("sandbox configuration: %w", err)
	}
	if !cfg.DisableSeccomp && !seccompSupported {
		return nil, errors.New("sandbox: built without seccomp support (build with -tags seccomp and libseccomp-dev)")
	}
	if cfg.usesInputRootMode() && !rootless {
		if err := checkSearchable(cfg.BuildDirectory); err != nil {
			return nil, fmt.Errorf("sandbox configuration: %w", err)
		}
	}
	id, err := newIdentity(&cfg, rootless)
	if err != nil {
		return nil, fmt.Errorf("sandbox configuration: %w", err)
	}
	cg, err := setUpCgroups(&cfg, rootless, cfg.Logger)
	if err != nil {
		return nil, err
	}
	// Each runner gets a fresh state directory of its own, so a restarted
	// runner never trips over containers a previous one left behind.
	if err := os.MkdirAll(cfg.StateDirectory, 0o711); err != nil {
		return nil, fmt.Errorf("sandbox state directory: %w", err)
	}
	if cg.limitsEnforced && !cfg.DelegatedCgroup {
		cg.parent = runnerCgroupParent(cg.parent, cfg.StateDirectory)
	}
	if cg.limitsEnforced {
		if err := killLeftovers(cg, cfg.StateDirectory, cfg.Logger); err != nil {
			return nil, err
		}
	}
	stateDir, err := os.MkdirTemp(cfg.StateDirectory, "containers-")
	if err != nil {
		return nil, fmt.Errorf("sandbox state directory: %w", err)
	}
	r := &Runner{cfg: cfg, rootless: rootless, identity: id, cgroups: cg, stateDir: stateDir}
	policy := poolPolicy{oneShot: cfg.OneShot, onImages: checkStaticInit(&cfg)}
	r.pool = newPool(r.prepare, policy, cfg.Logger)
	if err := r.prepareInputRoots(); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// prepareInputRoots starts preparing the configured input roots, with the
// settings of an action that has no platform properties.
func (r *Runner) prepareInputRoots() error {
	if r.cfg.OneShot {
		return nil
	}
	for _, rel := range r.cfg.PrepareInputRoots {
		a, err := r.newAction(context.Background(), &runnerpb.RunRequest{Arguments: []string{"true"}, InputRootDirectory: rel})
		if err != nil {
			return fmt.Errorf("sandbox: preparing input root %q: %w", rel, err)
		}
		r.pool.fill(a)
	}
	return nil
}

// Close destroys the prepared containers and waits for background work.
// The runner must not be used afterwards.
func (r *Runner) Close() {
	r.pool.close()
	os.RemoveAll(r.stateDir)
	st := r.Stats()
	r.cfg.Logger.Info("sandbox: closed", "prepared_runs", st.PreparedRuns, "cold_runs", st.ColdRuns, "prepare_failures", st.PrepareFailures)
}

// CheckReadiness reports whether a path the worker names exists in the
// build directory.
func (r *Runner) CheckReadiness(ctx context.Context, req *runnerpb.CheckReadinessRequest) error {
	// An empty path (bb_worker's start-up probe) asks about the build
	// directory itself.
	p, err := buildpath.Join(r.cfg.BuildDirectory, "path", req.Path)
	if err != nil {
		return err
	}
	if _, err := os.Stat(p); err != nil {
		return errkind.New(errkind.Unavailable, "readiness path: %v", err)
	}
	return nil
}

// newContainerID names a container, unique within the runner's state
// directory and cgroup parent.
func (r *Runner) newContainerID() string {
	return "action-" + strconv.FormatUint(r.nextID.Add(1), 10)
}
