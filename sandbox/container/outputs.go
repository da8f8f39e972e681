package container

import (
	"os"

	"github.com/sandbarn/sandbarn/errkind"
	runnerpb "github.com/sandbarn/sandbarn/proto/runner"
	"github.com/sandbarn/sandbarn/sandbox/buildpath"
)

// openOutputs opens the stdout and stderr files below the build
// directory; an empty path discards the stream, as with the process
// runner.
func openOutputs(buildDir string, req *runnerpb.RunRequest) (*os.File, *os.File, error) {
	open := func(field, rel string) (*os.File, error) {
		p, err := buildpath.Join(buildDir, field, rel)
		if err != nil {
			return nil, err
		}
		if rel == "" {
			p = os.DevNull
		}
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o644)
		if err != nil {
			return nil, errkind.New(errkind.Precondition, "output file: %v", err)
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
