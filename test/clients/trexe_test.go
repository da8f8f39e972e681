package clients

import (
	"context"
	"strings"
	"testing"
	"time"
)

// clientTimeout bounds one client invocation, a BuildStream build included.
const clientTimeout = 3 * time.Minute

// trexe runs the buildbox suite's trexe inside the client root against
// the farm's default instance.
func trexe(ctx context.Context, c *client, f *farm, args ...string) result {
	c.t.Helper()
	return c.run(ctx, nil, append([]string{"trexe", "--remote=" + f.url()}, args...)...)
}

// TestTrexeStdout runs a command remotely and gets its standard output
// back.
func TestTrexeStdout(t *testing.T) {
	c := newClient(t)
	f := startFarm(t, c.shared)
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	const want = "hello from a sandbarn action"
	r := trexe(ctx, c, f, "--", "/bin/echo", want)
	if r.exitCode != 0 {
		t.Fatalf("trexe exited with %d:\n%s", r.exitCode, tail(r.output))
	}
	if !strings.Contains(r.output, want) {
		t.Fatalf("trexe output lacks the action's stdout %q:\n%s", want, tail(r.output))
	}
}
