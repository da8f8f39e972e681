package container

import (
	"strings"
	"testing"
	"time"
)

func TestRunsCommandAsUnprivilegedUser(t *testing.T) {
	r, _ := newTestRunner(t, nil)
	res := runScript(t, r, "id -u; id -g; pwd; hostname; echo oops >&2; exit 3", nil, time.Minute)
	if res.resp.ExitCode != 3 {
		t.Errorf("exit code %d, want 3 (stderr %q)", res.resp.ExitCode, res.stderr)
	}
	want := "1000\n1000\n" + InputRootPath + "\nsandbox\n"
	if res.stdout != want {
		t.Errorf("stdout %q, want %q", res.stdout, want)
	}
	if !strings.Contains(res.stderr, "oops") {
		t.Errorf("stderr %q lacks the command's output", res.stderr)
	}
}
