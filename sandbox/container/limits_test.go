package container

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sandbarn/sandbarn/errkind"
)

// sandboxProcesses lists host processes running as any uid of the
// runner's mapping, which must be none once Run has returned.
func sandboxProcesses(t *testing.T, r *Runner) []string {
	t.Helper()
	first, count := r.identity.uidMap[0].HostID, r.identity.uidMap[0].Size
	// The container prepared for the next action has an init waiting;
	// it is not a leftover of the last one.
	r.pool.background.Wait()
	waiting := map[string]bool{}
	for _, pid := range r.pool.initPIDs() {
		waiting[strconv.Itoa(pid)] = true
	}
	entries, _ := os.ReadDir("/proc")
	var found []string
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil || waiting[e.Name()] {
			continue
		}
		info, err := os.Stat(filepath.Join("/proc", e.Name()))
		if err != nil {
			continue
		}
		uid := int64(info.Sys().(*syscall.Stat_t).Uid)
		// Other runners on the machine (a farm someone started) use the
		// same uids; only this runner's cgroups count.
		cg, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cgroup"))
		if uid >= first && uid < first+count && strings.Contains(string(cg), r.cgroups.parent+"/") {
			cmd, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
			found = append(found, e.Name()+":"+strings.ReplaceAll(string(cmd), "\x00", " "))
		}
	}
	return found
}

func TestTimeoutKillsEveryProcess(t *testing.T) {
	r, _ := newTestRunner(t, nil)
	start := time.Now()
	res := runScript(t, r, "sleep 1000 & (sleep 1000 &); echo started; sleep 1000", nil, time.Second)
	if !res.resp.TimedOut || res.resp.ExitCode == 0 {
		t.Errorf("timed_out %v exit %d, want a timed-out non-zero result", res.resp.TimedOut, res.resp.ExitCode)
	}
	if elapsed := time.Since(start); elapsed > 10*time.Second {
		t.Errorf("Run took %v for a 1s timeout", elapsed)
	}
	if left := sandboxProcesses(t, r); len(left) > 0 {
		t.Errorf("processes survived the timeout: %v", left)
	}
}

func TestBackgroundProcessGoneAfterAction(t *testing.T) {
	r, _ := newTestRunner(t, nil)
	res := runScript(t, r, "(setsid sleep 1000 >/dev/null 2>&1 &); exit 0", nil, time.Minute)
	if res.resp.ExitCode != 0 || res.resp.TimedOut {
		t.Fatalf("exit %d timed out %v: %s", res.resp.ExitCode, res.resp.TimedOut, res.stderr)
	}
	if left := sandboxProcesses(t, r); len(left) > 0 {
		t.Errorf("background processes survived the action: %v", left)
	}
}

func TestOutOfMemoryReported(t *testing.T) {
	r, _ := newTestRunner(t, nil)
	// tail keeps a whole newline-free line in memory.
	res := runScript(t, r, "head -c 400000000 /dev/zero | tail -n 1 >/dev/null", map[string]string{"memory-limit": "32MiB"}, time.Minute)
	if res.resp.ExitCode == 0 || !res.resp.Usage.OomKilled {
		t.Errorf("exit %d oom %v, want a non-zero exit and oom_killed", res.resp.ExitCode, res.resp.Usage.OomKilled)
	}
	lines := strings.Split(strings.TrimSpace(res.stderr), "\n")
	last := lines[len(lines)-1]
	if !strings.Contains(last, "memory limit of 32 MiB") {
		t.Errorf("last stderr line %q does not name the 32 MiB limit", last)
	}
	if res.resp.Usage.MemoryLimitBytes != 32<<20 {
		t.Errorf("usage reports limit %d", res.resp.Usage.MemoryLimitBytes)
	}
}

func TestLimitsApplied(t *testing.T) {
	r, _ := newTestRunner(t, nil)
	// Both layouts are tried so the test holds on cgroup v1 and v2.
	script := `cd /sys/fs/cgroup
cat memory/memory.limit_in_bytes memory.max 2>/dev/null
cat memory/memory.memsw.limit_in_bytes memory.swap.max 2>/dev/null
cat pids/pids.max pids.max 2>/dev/null
cat cpu/cpu.cfs_quota_us 2>/dev/null; cut -d' ' -f1 cpu.max 2>/dev/null`
	res := runScript(t, r, script, map[string]string{"memory-limit": "64MiB", "pids-limit": "16", "cpu-limit": "500m"}, time.Minute)
	got := strings.Fields(res.stdout)
	mem := strconv.Itoa(64 << 20)
	if len(got) != 4 || got[0] != mem || (got[1] != mem && got[1] != "0") || got[2] != "16" || got[3] != "50000" {
		t.Errorf("cgroup settings %q, want memory %s, swap off, pids 16, quota 50000 (stderr %q)", got, mem, res.stderr)
	}
}

func TestForkBombStoppedByPidsLimit(t *testing.T) {
	r, _ := newTestRunner(t, nil)
	script := `n=0; while [ $n -lt 50 ]; do sleep 30 2>/dev/null & n=$((n+1)); done 2>/dev/null; ls -d /proc/[0-9]* | wc -l`
	res := runScript(t, r, script, map[string]string{"pids-limit": "10"}, 20*time.Second)
	if n, _ := strconv.Atoi(strings.TrimSpace(res.stdout)); n > 10 {
		t.Errorf("%d processes ran under pids-limit 10", n)
	}
	if left := sandboxProcesses(t, r); len(left) > 0 {
		t.Errorf("processes survived: %v", left)
	}
}

func TestLimitAboveMaximumRejected(t *testing.T) {
	r, _ := newTestRunner(t, nil)
	for _, props := range []map[string]string{
		{"memory-limit": "3GiB"},
		{"cpu-limit": "8"},
		{"pids-limit": "100000"},
		{"memory-limit": "lots"},
		{"dockerNetwork": "bridge"},
		{"dockerRunAsRoot": "yes"},
	} {
		_, err := tryScript(r, "true", props, time.Minute)
		if errkind.Of(err) != errkind.Invalid {
			t.Errorf("%v gave %v, want InvalidArgument", props, err)
		}
	}
}

func TestUsageReported(t *testing.T) {
	r, _ := newTestRunner(t, nil)
	res := runScript(t, r, "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done", nil, time.Minute)
	u := res.resp.Usage
	if u.UserTime.AsDuration() <= 0 || u.WallTime.AsDuration() <= 0 || u.PeakMemoryBytes <= 0 {
		t.Errorf("usage %v lacks CPU, wall time or memory", u)
	}
	if u.MemoryLimitBytes != testPolicy.Default.MemoryBytes || u.PidsLimit != testPolicy.Default.Pids {
		t.Errorf("usage %v does not carry the default limits", u)
	}
	if len(res.resp.ResourceUsage) != 1 {
		t.Errorf("resource_usage has %d entries, want the ResourceUsage", len(res.resp.ResourceUsage))
	}
}
