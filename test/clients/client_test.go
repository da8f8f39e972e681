package clients

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/sandbarn/sandbarn/test/testenv"
)

// client runs programs inside the client root, with a per-test host
// directory (shared) mounted at /work, which is also the programs' HOME.
type client struct {
	t      *testing.T
	root   string
	shared string
}

// newClient builds or reuses the client root and makes the test's shared
// directory.
func newClient(t *testing.T) *client {
	t.Helper()
	root := requireClientRoot(t)
	shared := testenv.TempDir(t, "sandbarn-clients-")
	if err := os.MkdirAll(filepath.Join(shared, "home"), 0o755); err != nil {
		t.Fatal(err)
	}
	return &client{t: t, root: root, shared: shared}
}

// hostPath is where a path below /work inside the client root is on the
// host.
func (c *client) hostPath(rel string) string {
	return filepath.Join(c.shared, rel)
}

// command prepares argv to run inside the client root; env entries
// (NAME=VALUE) are added to its otherwise clean environment. The process
// gets its own group, so killing the group ends everything it started.
func (c *client) command(ctx context.Context, env []string, argv ...string) *exec.Cmd {
	inner := append(append([]string{}, env...), argv...)
	cmd := exec.CommandContext(ctx, "unshare", enterArgs(c.root, c.shared, inner...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	return cmd
}

// terminalCommand is command with its output on a pseudo-terminal, through
// util-linux's script(1): trexe, like most programs, buffers its standard
// output when it is a pipe, which would hide streamed lines until it exits.
func (c *client) terminalCommand(ctx context.Context, env []string, argv ...string) *exec.Cmd {
	inner := append(append([]string{}, env...), argv...)
	words := append([]string{"unshare"}, enterArgs(c.root, c.shared, inner...)...)
	for i, w := range words {
		words[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
	}
	cmd := exec.CommandContext(ctx, "script", "--quiet", "--return", "--command", strings.Join(words, " "), "/dev/null")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	return cmd
}

// result is what a finished client program left behind.
type result struct {
	exitCode int
	output   string
}

// run runs argv to completion and returns its exit code and combined
// output; failing to start at all ends the test.
func (c *client) run(ctx context.Context, env []string, argv ...string) result {
	c.t.Helper()
	out, err := c.command(ctx, env, argv...).CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return result{output: string(out)}
	case errors.As(err, &exit):
		return result{exitCode: exit.ExitCode(), output: string(out)}
	default:
		c.t.Fatalf("running %v in the client root: %v\n%s", argv, err, out)
		return result{}
	}
}
