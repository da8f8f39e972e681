package buildpath

import (
	"github.com/sandbarn/sandbarn/errkind"
	runnerpb "github.com/sandbarn/sandbarn/proto/runner"
)

// Paths are the host paths of one RunRequest. Stdout, Stderr and
// Temporary are empty when the request left them empty.
type Paths struct {
	InputRoot        string
	WorkingDirectory string
	Stdout           string
	Stderr           string
	Temporary        string
}

// Resolve validates every path in req and resolves it against
// buildDirectory (the working directory against the input root).
func Resolve(buildDirectory string, req *runnerpb.RunRequest) (*Paths, error) {
	if err := Validate(req); err != nil {
		return nil, err
	}
	var p Paths
	p.InputRoot, _ = Join(buildDirectory, "input_root_directory", req.GetInputRootDirectory())
	p.WorkingDirectory, _ = Join(p.InputRoot, "working_directory", req.GetWorkingDirectory())
	p.Stdout = optional(buildDirectory, req.GetStdoutPath())
	p.Stderr = optional(buildDirectory, req.GetStderrPath())
	p.Temporary = optional(buildDirectory, req.GetTemporaryDirectory())
	return &p, nil
}

// Validate checks the paths of req without resolving them.
func Validate(req *runnerpb.RunRequest) error {
	if len(req.GetArguments()) == 0 || req.GetArguments()[0] == "" {
		return errkind.New(errkind.Invalid, "arguments must name a program")
	}
	if req.GetInputRootDirectory() == "" {
		return errkind.New(errkind.Invalid, "input_root_directory must be set")
	}
	fields := []struct{ name, value string }{
		{"input_root_directory", req.GetInputRootDirectory()},
		{"working_directory", req.GetWorkingDirectory()},
		{"stdout_path", req.GetStdoutPath()},
		{"stderr_path", req.GetStderrPath()},
		{"temporary_directory", req.GetTemporaryDirectory()},
		{"server_logs_directory", req.GetServerLogsDirectory()},
	}
	for _, f := range fields {
		if err := Check(f.name, f.value); err != nil {
			return err
		}
	}
	return nil
}

// optional resolves an already validated path, keeping empty as empty so
// the runner can tell "not requested" from "the build directory".
func optional(base, rel string) string {
	if rel == "" {
		return ""
	}
	p, _ := Join(base, "", rel)
	return p
}
