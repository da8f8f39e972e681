package e2e

import (
	"os"
	"testing"
)

func TestNamesRole(t *testing.T) {
	cases := []struct {
		argv []string
		role string
		want bool
	}{
		{[]string{"/usr/bin/bb_runner", "/etc/runner.jsonnet"}, "runner", true},
		{[]string{"/tmp/x/sandbarn", "runner", "--socket", "s"}, "runner", true},
		{[]string{"/proc/self/exe", "farm-child", "worker"}, "worker", true},
		{[]string{"/tmp/x/sandbarn", "farm", "--data-dir", "/d/worker"}, "worker", false},
		{[]string{"/bin/bash", "-c", "echo runner"}, "runner", false},
		{[]string{"/tmp/x/sandbarn", "worker"}, "runner", false},
	}
	for _, c := range cases {
		if got := namesRole(c.argv, c.role); got != c.want {
			t.Errorf("namesRole(%q, %q) = %v, want %v", c.argv, c.role, got, c.want)
		}
	}
}

// The test process must find itself below its parent in the live /proc.
func TestDescendantsSeesThisProcess(t *testing.T) {
	procs := listProcesses()
	for _, p := range descendants(procs, os.Getppid()) {
		if p.pid == os.Getpid() {
			return
		}
	}
	t.Fatalf("pid %d not found below its parent %d", os.Getpid(), os.Getppid())
}
