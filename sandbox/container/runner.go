package container

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/opencontainers/runc/libcontainer/configs"
	"golang.org/x/sys/unix"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"

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
	pool     *pool
	// staticInit: this binary needs nothing from a root filesystem to
	// run, so it can be the init of containers on any image.
	staticInit bool
	stats      counters
	// background tracks destruction and preparation off the critical
	// path, for Close to wait on.
	background sync.WaitGroup
}

var _ sandbox.Runner = (*Runner)(nil)

// New checks the configuration and prepares the host side (state
// directory, cgroup layout). Use it for bb_runner when actions must be
// isolated from the host and from each other; the caller's main must have
// called Init.
func New(cfg Config) (*Runner, error) {
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
	r := &Runner{cfg: cfg, rootless: rootless, identity: id, cgroups: cg, stateDir: stateDir, pool: newPool()}
	r.staticInit = r.checkStaticInit()
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
		a, err := r.prepareAction(context.Background(), &runnerpb.RunRequest{Arguments: []string{"true"}, InputRootDirectory: rel})
		if err != nil {
			return fmt.Errorf("sandbox: preparing input root %q: %w", rel, err)
		}
		r.fillPool(a)
	}
	return nil
}

// Close destroys the prepared containers and waits for background work.
// The runner must not be used afterwards.
func (r *Runner) Close() {
	r.pool.close()
	r.background.Wait()
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
		return status.Errorf(codes.Unavailable, "readiness path: %v", err)
	}
	return nil
}

// Run executes one request in a new container and destroys it afterwards.
func (r *Runner) Run(ctx context.Context, req *runnerpb.RunRequest) (*runnerpb.RunResponse, error) {
	a, err := r.prepareAction(ctx, req)
	if err != nil {
		return nil, err
	}
	stdout, stderr, err := r.openOutputs(req)
	if err != nil {
		return nil, err
	}
	defer stdout.Close()
	defer stderr.Close()

	if a.mode == ModeInputRoot {
		mp, err := makeMountPoints(a.inputRoot)
		if err != nil {
			return nil, err
		}
		// Deferred before handBack, so it runs after it.
		defer func() {
			if err := mp.remove(); err != nil {
				r.cfg.Logger.Warn("sandbox: a mount point stays in the input root", "error", err)
			}
		}()
	}
	user := r.actionUser(a.settings)
	if r.identity.chownInputs {
		uid, gid := r.identity.hostUID(user.uid, user.gid)
		previous, err := handOver(a.inputRoot, owner{uid, gid})
		if err != nil {
			return nil, status.Errorf(codes.Internal, "input root ownership: %v", err)
		}
		first := int(r.identity.uidMap[0].HostID)
		defer handBack(a.inputRoot, previous, first, int(r.identity.uidMap[0].Size))
	}
	resp, err := r.execute(ctx, a, req, user, stdout, stderr)
	if err != nil {
		return nil, err
	}
	if resp.Usage.OomKilled {
		r.reportOOM(resp, a.settings, stderr)
	}
	if a.rootfs.Reference != "" {
		if resp.Environment == nil {
			resp.Environment = &runnerpb.ExecutionEnvironment{}
		}
		resp.Environment.ContainerImage = a.rootfs.Reference
	}
	return resp, nil
}

// execute runs the action in the container prepared for its input root
// and settings if there is one, else in a new one, and then prepares the
// container for the next action like it off the critical path.
func (r *Runner) execute(ctx context.Context, a action, req *runnerpb.RunRequest, user sandboxUser, stdout, stderr *os.File) (*runnerpb.RunResponse, error) {
	key := a.poolKey()
	var pc *prepared
	if r.preparable(a) {
		pc = r.takePrepared(key, a)
	}
	var resp *runnerpb.RunResponse
	var err error
	if pc != nil {
		resp, err = r.runPrepared(ctx, pc, a, req, user, stdout, stderr)
		r.inBackground(pc.destroy)
		r.notePreparedRun(key, err)
		if err == nil {
			resp.Environment = &runnerpb.ExecutionEnvironment{Prepared: true}
		}
	}
	if pc == nil || errors.Is(err, errPreparedUnusable) {
		r.stats.coldRuns.Add(1)
		resp, err = r.runContainer(ctx, a, req, user, stdout, stderr)
	}
	r.fillPool(a)
	return resp, err
}

// takePrepared returns the container prepared for key, or nil if there
// is none or the worker replaced the input root it has mounted.
func (r *Runner) takePrepared(key poolKey, a action) *prepared {
	pc := r.pool.take(key)
	if pc == nil {
		return nil
	}
	if id, err := statID(a.inputRoot); err != nil || id != pc.inputRoot {
		r.inBackground(pc.destroy)
		if r.pool.stop(key) {
			r.cfg.Logger.Warn("sandbox: the input root directory was replaced between actions, so containers cannot be prepared for it; fill it in place to make actions start faster", "path", a.inputRoot)
		}
		return nil
	}
	return pc
}

// notePreparedRun counts a run in a prepared container; a container
// whose init was gone counts as a failed preparation of its key.
func (r *Runner) notePreparedRun(key poolKey, err error) {
	var fault *StartError
	if errors.Is(err, errPreparedUnusable) && errors.As(err, &fault) {
		r.preparationFailed(key, fault)
		return
	}
	if !errors.Is(err, errPreparedUnusable) {
		r.stats.preparedRuns.Add(1)
		r.pool.recordOutcome(key, false)
	}
}

// preparationFailed logs a prepared container that could not serve, in
// one line naming the image, the phase and the cause, and stops
// preparing for its key once that keeps happening.
func (r *Runner) preparationFailed(key poolKey, err error) {
	r.stats.prepareFailures.Add(1)
	image, phase := key.image, "prepare"
	var se *StartError
	if errors.As(err, &se) {
		phase = se.Phase
		err = se.Err
	}
	r.cfg.Logger.Warn("sandbox: a prepared container failed; its action runs in a container created for it",
		"image", imageLabel(image), "phase", phase, "error", err, "input_root", key.inputRoot)
	if r.pool.recordOutcome(key, true) {
		r.cfg.Logger.Warn("sandbox: preparing containers keeps failing here; no more are prepared for this image and input root",
			"image", imageLabel(image), "input_root", key.inputRoot, "failures", maxPrepareFailures)
	}
}

// preparable says whether containers are prepared ahead for actions like
// a. The root filesystem of ModeInputRoot is the input root, whose mount
// points exist only while an action runs, so such containers never are;
// nor, with a dynamically linked runner, those on images.
func (r *Runner) preparable(a action) bool {
	if r.cfg.OneShot || a.mode == ModeInputRoot {
		return false
	}
	return r.staticInit || a.settings.image == ""
}

// fillPool prepares a container for the next action like a, off the
// critical path.
func (r *Runner) fillPool(a action) {
	if !r.preparable(a) {
		return
	}
	key := a.poolKey()
	e := r.pool.reserve(key)
	if e == nil {
		return
	}
	r.inBackground(func() {
		next := a
		next.id = "action-" + strconv.FormatUint(r.nextID.Add(1), 10)
		pc, err := r.prepare(next)
		if err != nil {
			r.preparationFailed(key, err)
		}
		e.complete(pc, err)
	})
}

func (r *Runner) inBackground(f func()) {
	r.background.Add(1)
	go func() {
		defer r.background.Done()
		f()
	}()
}

// prepareAction checks the request and resolves its sandbox settings and
// root filesystem.
func (r *Runner) prepareAction(ctx context.Context, req *runnerpb.RunRequest) (action, error) {
	paths, err := buildpath.Resolve(r.cfg.BuildDirectory, req)
	if err != nil {
		return action{}, err
	}
	inputRoot := paths.InputRoot
	s, err := parseProperties(req.Platform, &r.cfg)
	if err != nil {
		return action{}, err
	}
	if err := r.checkUser(s); err != nil {
		return action{}, err
	}
	mode := r.cfg.modeFor(req.InstanceName)
	rootfs, err := r.resolveRootfs(ctx, mode, s, inputRoot)
	if err != nil {
		return action{}, err
	}
	id := "action-" + strconv.FormatUint(r.nextID.Add(1), 10)
	return action{id: id, inputRoot: inputRoot, rootfs: rootfs, settings: s, mode: mode}, nil
}

// resolveRootfs picks the root filesystem: the image's in ModeImage, the
// input root itself in ModeInputRoot, where an image has no place.
func (r *Runner) resolveRootfs(ctx context.Context, mode Mode, s settings, inputRoot string) (Rootfs, error) {
	if mode != ModeInputRoot {
		return r.cfg.Rootfs(ctx, s.image)
	}
	if s.image != "" {
		return Rootfs{}, status.Errorf(codes.InvalidArgument, "platform property %s=%q: this instance runs actions with their input root as the root filesystem, so it takes no image", imageProperty, s.image)
	}
	return Rootfs{Path: inputRoot}, nil
}

// checkUser refuses unixUID and unixGID values the sandbox does not map,
// which the kernel would refuse only once the container exists.
func (r *Runner) checkUser(s settings) error {
	for _, p := range []struct {
		name string
		id   *uint32
		m    []configs.IDMap
	}{{unixUIDProperty, s.uid, r.identity.uidMap}, {unixGIDProperty, s.gid, r.identity.gidMap}} {
		if p.id == nil {
			continue
		}
		if mapID(p.m, *p.id) < 0 || (r.identity.singleUID && *p.id != 0) {
			return status.Errorf(codes.InvalidArgument, "platform property %s=%d is outside the ids this runner maps into the sandbox (%s)", p.name, *p.id, describeMap(p.m))
		}
	}
	return nil
}

func describeMap(m []configs.IDMap) string {
	var parts []string
	for _, e := range m {
		parts = append(parts, fmt.Sprintf("%d-%d", e.ContainerID, e.ContainerID+e.Size-1))
	}
	return strings.Join(parts, ", ")
}

// openOutputs opens the stdout and stderr files; an empty path discards
// the stream, as with the process runner.
func (r *Runner) openOutputs(req *runnerpb.RunRequest) (*os.File, *os.File, error) {
	open := func(field, rel string) (*os.File, error) {
		p, err := buildpath.Join(r.cfg.BuildDirectory, field, rel)
		if err != nil {
			return nil, err
		}
		if rel == "" {
			p = os.DevNull
		}
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o644)
		if err != nil {
			return nil, status.Errorf(codes.FailedPrecondition, "output file: %v", err)
		}
		return f, nil
	}
	stdout, err := open("stdout_path", req.StdoutPath)
	if err != nil {
		return nil, nil, err
	}
	stderr, err := open("stderr_path", req.StderrPath)
	if err != nil {
		stdout.Close()
		return nil, nil, err
	}
	return stdout, stderr, nil
}

type sandboxUser struct{ uid, gid uint32 }

func (r *Runner) actionUser(s settings) sandboxUser {
	if r.identity.singleUID {
		return sandboxUser{0, 0}
	}
	u := sandboxUser{r.cfg.ActionUID, r.cfg.ActionGID}
	if s.runAsRoot {
		u = sandboxUser{0, 0}
	}
	if s.uid != nil {
		u.uid = *s.uid
	}
	if s.gid != nil {
		u.gid = *s.gid
	}
	return u
}

// environment renders the request's variables in a fixed order, with
// TMPDIR pointing at the sandbox's private /tmp unless the action set it.
func environment(vars map[string]string) []string {
	env := make([]string, 0, len(vars)+1)
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	if _, ok := vars["TMPDIR"]; !ok {
		env = append(env, "TMPDIR="+tmpPath)
	}
	sort.Strings(env)
	return env
}

// exitCode follows the shell's convention for a process killed by a
// signal, so a killed action never looks successful.
func exitCode(ps *os.ProcessState) int64 {
	if ps == nil {
		return 128 + int64(unix.SIGKILL)
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok {
		return waitStatusCode(ws)
	}
	return int64(ps.ExitCode())
}

func usageAny(resp *runnerpb.RunResponse) {
	if a, err := anypb.New(resp.Usage); err == nil {
		resp.ResourceUsage = []*anypb.Any{a}
	}
}
