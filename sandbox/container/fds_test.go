package container

import (
	"strings"
	"testing"
	"time"
)

// TestOnlyStandardFDsReachTheAction lists the descriptors the action's
// shell holds: only stdin, stdout and stderr, whether the container was
// prepared or created for the action (a descriptor of the init's
// control socket would let the action forge its own result).
func TestOnlyStandardFDsReachTheAction(t *testing.T) {
	r, _ := newTestRunner(t, nil)
	for i := 0; i < 3; i++ {
		res := runScript(t, r, "ls /proc/$$/fd", nil, time.Minute)
		// No pipe or redirection: the shell holds nothing extra of its
		// own while ls looks.
		if fds := strings.Fields(res.stdout); strings.Join(fds, " ") != "0 1 2" {
			t.Errorf("run %d: the action holds descriptors %q (stderr %q), want only 0 1 2", i, res.stdout, res.stderr)
		}
	}
}
