package vm

import (
	"os"
	"os/exec"
	"testing"

	"github.com/sandbarn/sandbarn/test/testenv"
)

// TestContainerTestsOnCgroupV2 boots the VM and runs the sandbox tests
// there. It takes minutes under software emulation, so it runs only when
// SANDBARN_VM_TEST=1 (CI sets it).
func TestContainerTestsOnCgroupV2(t *testing.T) {
	if os.Getenv("SANDBARN_VM_TEST") != "1" {
		t.Skip("set SANDBARN_VM_TEST=1 to boot the cgroup v2 VM (minutes under qemu emulation)")
	}
	if os.Geteuid() != 0 {
		testenv.SkipOrFail(t, "the VM harness downloads a kernel package and builds an initramfs as root")
	}
	for _, tool := range []string{"qemu-system-x86_64", "busybox", "cpio", "apt-get"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.SkipOrFail(t, "%s is not installed (apt-get install qemu-system-x86 busybox-static cpio)", tool)
		}
	}
	cmd := exec.Command("./run.sh", "-test.v")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("container tests in the cgroup v2 VM failed: %v", err)
	}
}
