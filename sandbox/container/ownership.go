package container

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/sandbarn/sandbarn/errkind"
)

// owner is a host uid and gid.
type owner struct{ uid, gid int }

// handOverInputRoot lends the input root's directories to the host user
// behind user for the action's run. The function it returns gives them,
// and the outputs the action created, to the root's previous owner.
func (id identity) handOverInputRoot(root string, user sandboxUser) (func(), error) {
	uid, gid := id.hostUID(user.uid, user.gid)
	previous, err := handOver(root, owner{uid, gid})
	if err != nil {
		return nil, errkind.New(errkind.Internal, "input root ownership: %v", err)
	}
	first, count := int(id.uidMap[0].HostID), int(id.uidMap[0].Size)
	return func() { handBack(root, previous, first, count) }, nil
}

// handOver gives the directories of an input root to the action's host
// user so it can create outputs, and returns the root's previous owner.
// Files are left alone: they are hardlinks into the worker's cache, and
// their owner (never mapped into the sandbox) is what keeps the action
// from changing them.
func handOver(root string, to owner) (owner, error) {
	info, err := os.Lstat(root)
	if err != nil {
		return owner{}, err
	}
	st := info.Sys().(*syscall.Stat_t)
	previous := owner{int(st.Uid), int(st.Gid)}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		return os.Lchown(path, to.uid, to.gid)
	})
	return previous, err
}

// handBack gives everything owned by host uids [first, first+count) in
// the input root (the action's outputs and the directories handed over)
// to the given owner, so the worker can read and delete them.
func handBack(root string, to owner, first, count int) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			// The action may leave odd entries behind; fix what can be
			// reached and let the worker report the rest.
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		st := info.Sys().(*syscall.Stat_t)
		if int(st.Uid) < first || int(st.Uid) >= first+count {
			return nil
		}
		if err := os.Lchown(path, to.uid, to.gid); err != nil {
			return err
		}
		if d.IsDir() && info.Mode().Perm()&0o700 != 0o700 {
			// The worker must be able to list and empty it afterwards.
			return os.Chmod(path, info.Mode().Perm()|0o700)
		}
		return nil
	})
}
