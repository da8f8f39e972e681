package inputroot

import (
	"fmt"
	"strings"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"

	"github.com/sandbarn/sandbarn/errkind"
)

// validateDirectory checks the rules REAPI sets for one Directory: each
// list sorted by name without duplicates, and no name used twice across the
// lists, since one path cannot be both a file and a directory.
func validateDirectory(dir *remoteexecution.Directory) error {
	seen := map[string]bool{}
	check := func(kind string, names []string) error {
		for i, name := range names {
			if err := validateName(name); err != nil {
				return errkind.New(errkind.Invalid, "%s %q: %w", kind, name, err)
			}
			if i > 0 && names[i-1] >= name {
				return errkind.New(errkind.Invalid, "%s %q is not sorted after %q or is a duplicate", kind, name, names[i-1])
			}
			if seen[name] {
				return errkind.New(errkind.Invalid, "%s %q has the name of another entry", kind, name)
			}
			seen[name] = true
		}
		return nil
	}
	files := make([]string, len(dir.Files))
	for i, f := range dir.Files {
		files[i] = f.Name
	}
	dirs := make([]string, len(dir.Directories))
	for i, d := range dir.Directories {
		dirs[i] = d.Name
	}
	links := make([]string, len(dir.Symlinks))
	for i, s := range dir.Symlinks {
		links[i] = s.Name
		if s.Target == "" {
			return errkind.New(errkind.Invalid, "symlink %q has an empty target", s.Name)
		}
	}
	if err := check("file", files); err != nil {
		return err
	}
	if err := check("directory", dirs); err != nil {
		return err
	}
	return check("symlink", links)
}

func validateName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("empty name")
	case name == "." || name == "..":
		return fmt.Errorf("dot names are not allowed")
	case strings.ContainsAny(name, "/\x00"):
		return fmt.Errorf("names may not contain '/' or NUL")
	}
	return nil
}
