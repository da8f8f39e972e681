package process

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/sandbarn/sandbarn/errkind"
)

// defaultSearchPath is what execvp(3) in glibc searches when PATH is unset.
const defaultSearchPath = "/bin:/usr/bin"

// lookPath finds the program to run the way execvp does, but with the
// request's PATH (not the runner's) and relative to the action's working
// directory: a name containing a slash is used as is, otherwise each PATH
// entry is tried in order, an empty entry meaning the working directory.
// The result is absolute so it does not depend on when the chdir happens.
func lookPath(name string, env map[string]string, workingDirectory string) (string, error) {
	if strings.Contains(name, "/") {
		return absolute(workingDirectory, name), nil
	}
	searchPath, ok := env["PATH"]
	if !ok {
		searchPath = defaultSearchPath
	}
	for _, dir := range strings.Split(searchPath, ":") {
		candidate := absolute(workingDirectory, filepath.Join(dir, name))
		if isExecutable(candidate) {
			return candidate, nil
		}
	}
	return "", errkind.New(errkind.Invalid, "program %q not found in PATH %q", name, searchPath)
}

func absolute(workingDirectory, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(workingDirectory, path)
}

// isExecutable reports whether path is a regular file with an execute bit,
// which is what execvp skips to the next PATH entry on.
func isExecutable(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular() && info.Mode().Perm()&0o111 != 0
}
