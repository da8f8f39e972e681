package container

import (
	"os"
	"sort"
	"time"

	runnerpb "github.com/sandbarn/sandbarn/proto/runner"
)

// command is the process an action runs, the same whether its container
// was prepared ahead or created for it.
type command struct {
	args           []string
	env            []string
	dir            string
	user           sandboxUser
	stdout, stderr *os.File
	timeout        time.Duration
}

// newCommand is the command of req as the sandbox of a starts it.
func newCommand(a action, req *runnerpb.RunRequest, user sandboxUser, stdout, stderr *os.File) command {
	return command{
		args:    req.Arguments,
		env:     environment(req.EnvironmentVariables),
		dir:     a.workingDirectory(req.WorkingDirectory),
		user:    user,
		stdout:  stdout,
		stderr:  stderr,
		timeout: req.Timeout.AsDuration(),
	}
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
