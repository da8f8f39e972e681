package container

import (
	"context"
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/sandbarn/sandbarn/platform"
	runnerpb "github.com/sandbarn/sandbarn/proto/runner"
)

// Run executes one request in a container of its own: the one prepared
// for actions like it if there is one, else one created for it. No
// process of the action is left when it returns.
func (r *Runner) Run(ctx context.Context, req *runnerpb.RunRequest) (*runnerpb.RunResponse, error) {
	a, err := r.newAction(ctx, req)
	if err != nil {
		return nil, err
	}
	stdout, stderr, err := openOutputs(r.cfg.BuildDirectory, req)
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
		// Deferred before the hand-back, so it runs after it.
		defer mp.removeOrWarn(r.cfg.Logger)
	}
	user := r.actionUser(a.settings)
	if r.identity.chownInputs {
		handBack, err := r.identity.handOverInputRoot(a.inputRoot, user)
		if err != nil {
			return nil, err
		}
		defer handBack()
	}
	resp, inPrepared, err := r.runAction(ctx, a, newCommand(a, req, user, stdout, stderr))
	// Whatever became of this action, the next one like it should find
	// its container ready.
	r.pool.fill(a)
	if err != nil {
		return nil, err
	}
	if resp.Usage.OomKilled {
		reportOOM(resp, a.settings, stderr)
	}
	resp.Environment = executionEnvironment(a, inPrepared)
	return resp, nil
}

// runAction runs the command in the container prepared for actions like
// a, or in one created for it when there is none or the prepared one
// cannot take the action. The bool says whether a prepared one ran it.
func (r *Runner) runAction(ctx context.Context, a action, cmd command) (*runnerpb.RunResponse, bool, error) {
	if pc := r.pool.take(a); pc != nil {
		resp, err := pc.run(ctx, a, cmd)
		r.pool.finished(a, pc, err)
		if !errors.Is(err, errPreparedUnusable) {
			return resp, true, err
		}
		// Nothing of the action ran there, so it may run again.
	}
	r.coldRuns.Add(1)
	resp, err := r.runContainer(ctx, a, cmd)
	return resp, false, err
}

// reportOOM makes an out-of-memory kill unmistakable: a non-zero exit
// code even if the first process survived the kill of another, and a
// last stderr line naming the limit.
func reportOOM(resp *runnerpb.RunResponse, s settings, stderr *os.File) {
	if resp.ExitCode == 0 {
		resp.ExitCode = 128 + int64(unix.SIGKILL)
	}
	fmt.Fprintf(stderr, "\nsandbox: the action exceeded its memory limit of %s (%d bytes) and was killed\n",
		platform.FormatBytes(s.limits.MemoryBytes), s.limits.MemoryBytes)
}

// executionEnvironment tells the client what the action ran on: the image
// pinned by digest, and whether its container was prepared ahead. Nil
// when there is nothing to tell (a created container on the default
// rootfs).
func executionEnvironment(a action, inPrepared bool) *runnerpb.ExecutionEnvironment {
	if !inPrepared && a.rootfs.Reference == "" {
		return nil
	}
	return &runnerpb.ExecutionEnvironment{Prepared: inPrepared, ContainerImage: a.rootfs.Reference}
}
