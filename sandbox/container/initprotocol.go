package container

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// The runner and the init of a prepared container talk over a
// SOCK_SEQPACKET socket pair, so every message arrives whole in one read.
// The request carries the action's stdout and stderr as SCM_RIGHTS file
// descriptors: they are only known once the request arrives.

// initReady is the init's first message: it runs and waits for a command.
type initReady struct {
	Ready bool
}

// initRequest is the command the init runs, and how.
type initRequest struct {
	Args    []string
	Env     []string
	Dir     string
	UID     uint32
	GID     uint32
	Rlimits []initRlimit
}

// initRlimit is one resource limit the command starts with.
type initRlimit struct {
	Resource int
	Soft     uint64
	Hard     uint64
}

// initReply reports how the command ended. Err is set instead when the
// command could not be started at all. A reply with only Started comes
// first, once the command runs.
type initReply struct {
	Started    bool
	Err        string
	NotFound   bool
	WaitStatus uint32
	UserNanos  int64
	SysNanos   int64
	MaxRSSKiB  int64
}

// maxInitMessage bounds a message; argv and environment larger than this
// would not fit through execve either.
const maxInitMessage = 4 << 20

func sendInitMessage(sock *os.File, v any, files ...*os.File) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if len(data) > maxInitMessage {
		return fmt.Errorf("init message of %d bytes is too large", len(data))
	}
	var oob []byte
	if len(files) > 0 {
		fds := make([]int, len(files))
		for i, f := range files {
			fds[i] = int(f.Fd())
		}
		oob = unix.UnixRights(fds...)
	}
	return unix.Sendmsg(int(sock.Fd()), data, oob, nil, unix.MSG_NOSIGNAL)
}

// receiveInitMessage reads one message and any file descriptors sent with
// it, at most size bytes. A zero-length read means the other side is
// gone.
func receiveInitMessage(sock *os.File, v any, size int) ([]int, error) {
	buf := make([]byte, size)
	oob := make([]byte, unix.CmsgSpace(4*4))
	n, oobn, _, _, err := unix.Recvmsg(int(sock.Fd()), buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, fmt.Errorf("init channel closed")
	}
	var fds []int
	if oobn > 0 {
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			got, err := unix.ParseUnixRights(&m)
			if err != nil {
				return nil, err
			}
			fds = append(fds, got...)
		}
	}
	if err := json.Unmarshal(buf[:n], v); err != nil {
		for _, fd := range fds {
			unix.Close(fd)
		}
		return nil, err
	}
	return fds, nil
}

// awaitReady waits at most timeout for the init's first message.
func awaitReady(sock *os.File, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	pfd := []unix.PollFd{{Fd: int32(sock.Fd()), Events: unix.POLLIN}}
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("the init did not come up within %v", timeout)
		}
		n, err := unix.Poll(pfd, int(left.Milliseconds())+1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n > 0 {
			break
		}
	}
	var ready initReady
	fds, err := receiveInitMessage(sock, &ready, 256)
	for _, fd := range fds {
		unix.Close(fd)
	}
	if err != nil {
		return fmt.Errorf("the init ended before it was ready: %w", err)
	}
	if !ready.Ready {
		return errors.New("the init sent something other than ready")
	}
	return nil
}
