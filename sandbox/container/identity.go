package container

import (
	"fmt"
	"os"

	"github.com/opencontainers/runc/libcontainer/configs"
)

// identity is how sandbox users relate to host users for one runner: the
// uid/gid maps of every container and the host owner of files the action
// creates.
type identity struct {
	uidMap, gidMap []configs.IDMap
	// chownInputs: the runner may hand the input root's directories to the
	// action's host uid for the run (root only).
	chownInputs bool
	// singleUID: only the runner's own uid is mapped, as sandbox root;
	// every action runs as that uid, without capabilities, whether or
	// not it asked for root.
	singleUID bool
}

// newIdentity picks the mapping. As root, sandbox uids 0..n-1 map to a
// range of otherwise unused host uids; rootless, either the runner's own
// uid alone or its subordinate range (through newuidmap) is mapped.
func newIdentity(cfg *Config, rootless bool) (identity, error) {
	if !rootless {
		m := []configs.IDMap{{ContainerID: 0, HostID: int64(cfg.FirstHostUID), Size: int64(cfg.UIDCount)}}
		return identity{uidMap: m, gidMap: m, chownInputs: true}, nil
	}
	if cfg.RootlessSubordinateCount > 0 {
		if cfg.ActionUID >= cfg.RootlessSubordinateCount {
			return identity{}, fmt.Errorf("action uid %d is outside the %d subordinate uids", cfg.ActionUID, cfg.RootlessSubordinateCount)
		}
		m := []configs.IDMap{{ContainerID: 0, HostID: int64(cfg.RootlessSubordinateUID), Size: int64(cfg.RootlessSubordinateCount)}}
		return identity{uidMap: m, gidMap: m}, nil
	}
	// With one uid the action would own the worker's cached files if the
	// worker ran as the same user, and could then chmod and rewrite them.
	euid := os.Geteuid()
	if uint32(euid) == cfg.FileCacheOwnerUID {
		return identity{}, fmt.Errorf("rootless runner uid %d owns the file cache: configure subordinate uids or run the worker as another user", euid)
	}
	// libcontainer needs sandbox root mapped (it hands the container's
	// start-up fifo to it), so the one uid is root inside; the action
	// gets no capabilities (see containerConfig), and with no other uid
	// mapped it could not use them on any file it did not create.
	return identity{
		uidMap:    []configs.IDMap{{ContainerID: 0, HostID: int64(euid), Size: 1}},
		gidMap:    []configs.IDMap{{ContainerID: 0, HostID: int64(os.Getegid()), Size: 1}},
		singleUID: true,
	}, nil
}

// hostUID returns the host uid and gid behind a sandbox user.
func (id identity) hostUID(uid, gid uint32) (int, int) {
	return mapID(id.uidMap, uid), mapID(id.gidMap, gid)
}

func mapID(m []configs.IDMap, id uint32) int {
	for _, e := range m {
		if int64(id) >= e.ContainerID && int64(id) < e.ContainerID+e.Size {
			return int(e.HostID + int64(id) - e.ContainerID)
		}
	}
	return -1
}
