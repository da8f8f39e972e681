package process

import (
	"sort"
)

// environment builds the command's environment from the request's
// variables alone, sorted so runs are reproducible. The result is never
// nil: os/exec would read a nil Env as "inherit the runner's environment".
func environment(vars map[string]string, temporaryDirectory string) []string {
	env := make([]string, 0, len(vars)+1)
	for name, value := range vars {
		env = append(env, name+"="+value)
	}
	if _, ok := vars["TMPDIR"]; !ok && temporaryDirectory != "" {
		env = append(env, "TMPDIR="+temporaryDirectory)
	}
	sort.Strings(env)
	return env
}
