package images

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Program is one binary of this module to put in an image.
type Program struct {
	// Name is both the directory under cmd/ and the binary's name.
	Name string
	// Cgo marks programs that need cgo (bb_runner: libcontainer's
	// nsenter). They are linked statically against glibc, so the same
	// binary runs on the old C libraries of the Debian 8 and Ubuntu 16.04
	// bases, and on an empty base.
	Cgo bool
}

// GoCompiler builds this module's programs for images.
type GoCompiler struct {
	// Go is the go command; "" means "go" on PATH.
	Go string
	// ModuleRoot is the directory holding go.mod.
	ModuleRoot string
	// Tags are extra build tags (e.g. "seccomp", which then needs the
	// static libseccomp.a of libseccomp-dev).
	Tags []string
}

// Build compiles p into outDir and returns the binary's path.
func (c GoCompiler) Build(ctx context.Context, p Program, outDir string) (string, error) {
	out := filepath.Join(outDir, p.Name)
	cmd := exec.CommandContext(ctx, c.goCommand(), c.args(p, out)...)
	cmd.Dir = c.ModuleRoot
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64")
	if p.Cgo {
		cmd.Env = append(cmd.Env, "CGO_ENABLED=1")
	} else {
		cmd.Env = append(cmd.Env, "CGO_ENABLED=0")
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building %s: %w\n%s", p.Name, err, b)
	}
	return out, nil
}

func (c GoCompiler) goCommand() string {
	if c.Go == "" {
		return "go"
	}
	return c.Go
}

// args are the go build arguments. -trimpath and a stripped binary keep
// the image independent of the build machine's paths.
func (c GoCompiler) args(p Program, out string) []string {
	tags := append([]string(nil), c.Tags...)
	ldflags := "-s -w"
	if p.Cgo {
		// Pure-Go user and DNS lookups: glibc's NSS cannot work from a
		// static binary.
		tags = append(tags, "netgo", "osusergo")
		ldflags += " -linkmode external -extldflags -static"
	}
	args := []string{"build", "-trimpath", "-ldflags", ldflags, "-o", out}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, " "))
	}
	return append(args, "./cmd/"+p.Name)
}
