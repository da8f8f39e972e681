package process

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// processGroup is the process group of one action, the only handle on its
// processes when there is no cgroup.
type processGroup int

// kill sends SIGKILL to every member and reports whether there was any
// (zombies included). It is only safe while the group's ID cannot have
// been reused: before its leader is reaped, or while another member is
// alive.
func (g processGroup) kill() bool {
	return syscall.Kill(-int(g), syscall.SIGKILL) != syscall.ESRCH
}

// waitGone kills the group until no live member is left. SIGKILL takes
// effect asynchronously, so returning right after kill would let the next
// action see the old one's processes. Members that already exited but
// were reparented to an init that does not reap them stay as zombies, so
// signalling with 0 cannot tell when the group is done; /proc can.
func (g processGroup) waitGone() error {
	deadline := time.Now().Add(emptyTimeout)
	for delay := 50 * time.Microsecond; ; delay = min(2*delay, 10*time.Millisecond) {
		if !g.kill() {
			return nil // the usual case, without reading /proc
		}
		live, err := g.hasLiveMember()
		if err != nil || !live {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("process group %d did not exit within %s of SIGKILL", g, emptyTimeout)
		}
		time.Sleep(delay)
	}
}

func (g processGroup) hasLiveMember() (bool, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return false, err
	}
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil && g.isLiveMember(pid) {
			return true, nil
		}
	}
	return false, nil
}

// isLiveMember parses /proc/PID/stat; the fields after the command name,
// which is in parentheses and may itself hold spaces, are state, parent
// and process group.
func (g processGroup) isLiveMember(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(stat), ')')
	if i < 0 {
		return false
	}
	fields := strings.Fields(string(stat[i+1:]))
	if len(fields) < 3 || fields[0] == "Z" || fields[0] == "X" {
		return false
	}
	return fields[2] == strconv.Itoa(int(g))
}
