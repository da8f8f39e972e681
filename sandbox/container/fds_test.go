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
		// Another process lists the action's shell's descriptors: with no
		// pipe or redirection the shell holds nothing extra of its own
		// while it waits, and a shell that runs ls as a builtin (busybox)
		// would otherwise count the directory ls reads. The trailing true
		// keeps the shell from replacing itself with the inner one.
		res := runScript(t, r, "sh -c 'ls /proc/$PPID/fd'; true", nil, time.Minute)
		if fds := strings.Fields(res.stdout); strings.Join(fds, " ") != "0 1 2" {
			t.Errorf("run %d: the action holds descriptors %q (stderr %q), want only 0 1 2", i, res.stdout, res.stderr)
		}
	}
}
