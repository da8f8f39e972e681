package process

import (
	"context"
	"os"
	"os/exec"
	"syscall"

	"github.com/sandbarn/sandbarn/errkind"
	runnerpb "github.com/sandbarn/sandbarn/proto/runner"
	"github.com/sandbarn/sandbarn/sandbox"
	"github.com/sandbarn/sandbarn/sandbox/buildpath"
)

// Options configure a Runner.
type Options struct {
	// BuildDirectory is the directory every request path is relative to.
	BuildDirectory string
	// CgroupParent is a cgroup v2 directory the runner may create action
	// cgroups in (see DefaultCgroupParent); empty means process groups
	// only, which lets setsid daemons outlive their action.
	CgroupParent string
}

// Runner runs commands as plain child processes.
type Runner struct {
	buildDirectory string
	cgroups        *cgroupTree
}

// New returns a Runner. Use it for bb_runner's "process" sandbox and for
// in-process farms; with a CgroupParent it first kills whatever actions a
// previous runner left in that cgroup.
func New(opts Options) (*Runner, error) {
	if err := sandbox.CloseInheritedOnExec(); err != nil {
		return nil, err
	}
	r := &Runner{buildDirectory: opts.BuildDirectory}
	if opts.CgroupParent != "" {
		tree, err := openCgroupTree(opts.CgroupParent)
		if err != nil {
			return nil, err
		}
		r.cgroups = tree
	}
	return r, nil
}

// UsesCgroups reports whether every process of an action is tracked in a
// cgroup, rather than only those staying in its process group.
func (r *Runner) UsesCgroups() bool {
	return r.cgroups != nil
}

// CheckReadiness succeeds when req.path exists below the build directory.
func (r *Runner) CheckReadiness(ctx context.Context, req *runnerpb.CheckReadinessRequest) error {
	path, err := buildpath.Join(r.buildDirectory, "path", req.GetPath())
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); err != nil {
		return errkind.New(errkind.Unavailable, "not ready: %w", err)
	}
	return nil
}

// Run executes the command and returns once it and every process it
// started have ended. The timeout in the request and the end of ctx both
// stop the action; the response then says timed_out.
func (r *Runner) Run(ctx context.Context, req *runnerpb.RunRequest) (*runnerpb.RunResponse, error) {
	paths, err := buildpath.Resolve(r.buildDirectory, req)
	if err != nil {
		return nil, err
	}
	if t := req.GetTimeout(); t != nil && t.AsDuration() > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t.AsDuration())
		defer cancel()
	}
	a, err := r.prepare(req, paths)
	if err != nil {
		return nil, err
	}
	defer a.close()
	if err := a.start(); err != nil {
		return nil, err
	}
	return a.wait(ctx)
}

// prepare builds the action: command, output files and cgroup.
func (r *Runner) prepare(req *runnerpb.RunRequest, paths *buildpath.Paths) (*action, error) {
	program, err := lookPath(req.Arguments[0], req.GetEnvironmentVariables(), paths.WorkingDirectory)
	if err != nil {
		return nil, err
	}
	cmd := &exec.Cmd{
		Path: program,
		Args: req.Arguments,
		Env:  environment(req.GetEnvironmentVariables(), paths.Temporary),
		Dir:  paths.WorkingDirectory,
		SysProcAttr: &syscall.SysProcAttr{
			Setpgid: true,
			// If the runner dies, its direct child goes too; the rest of
			// the action is killed through the cgroup at the next start.
			Pdeathsig: syscall.SIGKILL,
		},
	}
	a := &action{cmd: cmd}
	if err := a.openOutputs(paths); err != nil {
		a.close()
		return nil, err
	}
	if r.cgroups != nil {
		if a.cgroup, err = r.cgroups.create(); err != nil {
			a.close()
			return nil, errkind.New(errkind.Internal, "%w", err)
		}
		cmd.SysProcAttr.UseCgroupFD = true
		cmd.SysProcAttr.CgroupFD = a.cgroup.fd()
	}
	return a, nil
}
