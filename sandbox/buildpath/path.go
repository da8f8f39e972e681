package buildpath

import (
	"path/filepath"
	"strings"

	"github.com/sandbarn/sandbarn/errkind"
)

// Join resolves rel against base. rel must be relative and, read
// lexically, must not climb out of base; violations are errkind.Invalid
// errors naming field, the request field rel came from. An empty rel
// resolves to base itself.
//
// The check is lexical on purpose: the worker builds the directory tree
// and validates symlinks in the input root, so following links here would
// only add system calls on the hot path.
func Join(base, field, rel string) (string, error) {
	if err := Check(field, rel); err != nil {
		return "", err
	}
	return filepath.Join(base, rel), nil
}

// Check validates rel without resolving it, for callers that do not know
// the base directory (the gRPC service validates before a runner runs).
func Check(field, rel string) error {
	if strings.IndexByte(rel, 0) >= 0 {
		return errkind.New(errkind.Invalid, "%s contains a NUL byte", field)
	}
	if filepath.IsAbs(rel) {
		return errkind.New(errkind.Invalid, "%s %q must be relative", field, rel)
	}
	clean := filepath.Clean(rel)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return errkind.New(errkind.Invalid, "%s %q escapes its base directory", field, rel)
	}
	return nil
}
