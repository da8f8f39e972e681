package clients

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	testimages "github.com/sandbarn/sandbarn/test/images"
	"github.com/sandbarn/sandbarn/test/testenv"
)

// chrootInstance is the farm's instance name for the input-root execution
// mode, where the input root is the action's whole root filesystem.
const chrootInstance = "chroot"

// TestBuildStreamChroot builds a manual element through BuildStream 2 and
// buildbox-casd in the farm's chroot instance, checks from its report that
// the element's own sysroot was `/` with a working /dev/null and /proc,
// then builds again with an empty local cache and expects the same
// execution's result back from the farm's action cache.
func TestBuildStreamChroot(t *testing.T) {
	c := newClient(t)
	if _, err := os.Stat(testimages.BusyboxBinary); err != nil {
		testenv.SkipOrFail(t, "the element's sysroot needs busybox-static (apt-get install busybox-static): %v", err)
	}
	f := startFarm(t, c.shared)
	token := fmt.Sprintf("sysroot-%d", rand.Uint64())
	writeBstProject(t, c.hostPath("project"), token)

	first := buildAndCheckout(t, c, f, "first")
	checkChrootReport(t, first, token)
	second := buildAndCheckout(t, c, f, "second")
	checkChrootReport(t, second, token)
	id1, id2 := readReport(t, first, "run-id"), readReport(t, second, "run-id")
	if id1 != id2 {
		t.Fatalf("the second build ran the action again (run-id %s, then %s): not answered from the action cache", id1, id2)
	}
}

// writeBstProject copies testdata/bst-chroot to dir and makes the sysroot
// the import element stages: busybox and a marker holding token.
func writeBstProject(t *testing.T, dir, token string) {
	t.Helper()
	if out, err := exec.Command("cp", "-a", filepath.Join("testdata", "bst-chroot"), dir).CombinedOutput(); err != nil {
		t.Fatalf("copying the project: %v\n%s", err, out)
	}
	sysroot := filepath.Join(dir, "files", "sysroot")
	if err := testimages.Busybox(sysroot); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sysroot, "etc", "sandbarn-sysroot"), []byte(token+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// bstConfig is BuildStream's user configuration: remote execution of every
// element on the farm's chroot instance, and a local cache of its own per
// build (name), so the second build cannot be answered locally.
func bstConfig(f *farm, name string) string {
	service := fmt.Sprintf("    url: %s\n    instance-name: %s\n", f.url(), chrootInstance)
	return "cachedir: /work/bst-" + name + "/cache\n" +
		"logdir: /work/bst-" + name + "/logs\n" +
		"scheduler:\n  builders: 1\n" +
		"remote-execution:\n" +
		"  execution-service:\n" + service +
		"  storage-service:\n" + service +
		"  action-cache-service:\n" + service
}

// buildAndCheckout runs `bst build check.bst` and checks the artifact out
// below the shared directory, returning its host path.
func buildAndCheckout(t *testing.T, c *client, f *farm, name string) string {
	t.Helper()
	conf := filepath.Join("bst-"+name, "buildstream.conf")
	if err := os.MkdirAll(c.hostPath(filepath.Dir(conf)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.hostPath(conf), []byte(bstConfig(f, name)), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	bst := []string{"bst", "--no-interactive", "--config", "/work/" + conf, "--directory", "/work/project"}
	r := c.run(ctx, nil, append(bst, "build", "check.bst")...)
	if r.exitCode != 0 {
		t.Fatalf("%s bst build exited with %d:\n%s", name, r.exitCode, testenv.Tail(r.output))
	}
	out := filepath.Join("bst-"+name, "checkout")
	r = c.run(ctx, nil, append(bst, "artifact", "checkout", "--deps", "none", "--directory", "/work/"+out, "check.bst")...)
	if r.exitCode != 0 {
		t.Fatalf("%s bst artifact checkout exited with %d:\n%s", name, r.exitCode, testenv.Tail(r.output))
	}
	return c.hostPath(out)
}

// checkChrootReport checks what the element recorded about its `/`.
func checkChrootReport(t *testing.T, checkout, token string) {
	t.Helper()
	if got := readReport(t, checkout, "sysroot-marker"); got != token {
		t.Errorf("/etc/sandbarn-sysroot holds %q, want %q: the action's / is not the element's sysroot", got, token)
	}
	listing := strings.Fields(readReport(t, checkout, "root-listing"))
	for _, want := range []string{"bin", "etc", "dev", "proc", "tmp"} {
		if !containsString(listing, want) {
			t.Errorf("/ of the action lacks %s: %v", want, listing)
		}
	}
	if got := readReport(t, checkout, "dev-null"); got != "character special file 1:3" {
		t.Errorf("stat of /dev/null says %q, want the real null device (character special file 1:3)", got)
	}
	if got := readReport(t, checkout, "dev-null-read"); got != "0" {
		t.Errorf("reading /dev/null after writing to it gave %s bytes, want 0", got)
	}
	if got := readReport(t, checkout, "proc-status"); !strings.HasPrefix(got, "Name:") {
		t.Errorf("/proc/self/status begins %q: /proc is not mounted", got)
	}
	if got := readReport(t, checkout, "proc-mount"); !strings.Contains(got, " proc ") {
		t.Errorf("/proc/mounts has no proc file system on /proc: %q", got)
	}
}

func readReport(t *testing.T, checkout, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(checkout, "report", name))
	if err != nil {
		t.Fatalf("the element's report: %v", err)
	}
	return strings.TrimSpace(string(data))
}

func containsString(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
