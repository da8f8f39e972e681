package e2e

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sandbarn/sandbarn/test/testenv"
)

// bazelCommandTimeout bounds one Bazel command, so a hung farm fails the
// test with Bazel's output instead of running into go test's timeout.
const bazelCommandTimeout = 10 * time.Minute

// requireBazel returns the bazel binary, skipping the test when there is
// none (failing in CI, which must have it).
func requireBazel(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("bazel")
	if err != nil {
		testenv.SkipOrFail(t, "bazel not found on PATH (apt-get install -y bazel-bootstrap): %v", err)
	}
	return p
}

// bazel runs one Bazel server with its own output base on a workspace.
// Several instances on one workspace are independent builds.
type bazel struct {
	t       *testing.T
	bin     string
	ws      *workspace
	startup []string
}

// newBazel prepares a Bazel client whose output base is base/name; the
// server is shut down when the test ends.
func newBazel(t *testing.T, bin string, ws *workspace, base, name string) *bazel {
	t.Helper()
	b := &bazel{
		t:   t,
		bin: bin,
		ws:  ws,
		startup: []string{
			// The user's ~/.bazelrc must not change what the test builds.
			"--nohome_rc",
			"--output_user_root=" + filepath.Join(base, "user-root"),
			"--output_base=" + filepath.Join(base, name),
			// A server the cleanup could not stop still goes away.
			"--max_idle_secs=900",
		},
	}
	t.Cleanup(b.shutdown)
	return b
}

// bazelRun is the outcome of one Bazel command.
type bazelRun struct {
	output   string
	exitCode int
}

// run executes a Bazel command and returns its output and exit code; only
// failures to start Bazel at all, or a hang, are fatal.
func (b *bazel) run(command string, args ...string) bazelRun {
	b.t.Helper()
	r, err := b.execute(command, args...)
	if err != nil {
		b.t.Fatal(err)
	}
	return r
}

// execute is run for other goroutines: it reports problems as an error
// instead of failing the test, which only the test's goroutine may do.
func (b *bazel) execute(command string, args ...string) (bazelRun, error) {
	ctx, cancel := context.WithTimeout(context.Background(), bazelCommandTimeout)
	defer cancel()
	argv := append(append([]string{}, b.startup...), command)
	if command == "build" || command == "test" {
		argv = append(argv, "--color=no", "--curses=no")
	}
	argv = append(argv, args...)
	cmd := exec.CommandContext(ctx, b.bin, argv...)
	cmd.Dir = b.ws.dir
	start := time.Now()
	out, err := cmd.CombinedOutput()
	r := bazelRun{output: string(out)}
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return r, fmt.Errorf("bazel %s timed out after %v; output:\n%s", command, bazelCommandTimeout, testenv.Tail(r.output))
	case errors.As(err, &exitErr):
		r.exitCode = exitErr.ExitCode()
	case err != nil:
		return r, fmt.Errorf("running bazel %s: %w", command, err)
	}
	b.t.Logf("bazel %s %s: exit %d in %v", command, strings.Join(args, " "), r.exitCode, time.Since(start).Round(time.Millisecond))
	return r, nil
}

// mustRun is run for commands that have to succeed.
func (b *bazel) mustRun(command string, args ...string) string {
	b.t.Helper()
	r := b.run(command, args...)
	if r.exitCode != 0 {
		b.t.Fatalf("bazel %s %s failed with exit code %d; output:\n%s", command, strings.Join(args, " "), r.exitCode, testenv.Tail(r.output))
	}
	return r.output
}

// info returns one `bazel info` value; flags must match the build's so
// that configuration-dependent paths (bazel-bin) are the build's.
func (b *bazel) info(key string, flags ...string) string {
	b.t.Helper()
	out := b.mustRun("info", append(append([]string{}, flags...), key)...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

func (b *bazel) shutdown() {
	cmd := exec.Command(b.bin, append(append([]string{}, b.startup...), "shutdown")...)
	cmd.Dir = b.ws.dir
	if out, err := cmd.CombinedOutput(); err != nil {
		b.t.Logf("bazel shutdown: %v\n%s", err, out)
	}
}
