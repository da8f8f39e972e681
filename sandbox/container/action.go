package container

import (
	"context"
	"fmt"
	"strings"

	"github.com/opencontainers/runc/libcontainer/configs"

	"github.com/sandbarn/sandbarn/errkind"
	runnerpb "github.com/sandbarn/sandbarn/proto/runner"
	"github.com/sandbarn/sandbarn/sandbox/buildpath"
)

// newAction checks the request and resolves its sandbox settings and
// root filesystem.
func (r *Runner) newAction(ctx context.Context, req *runnerpb.RunRequest) (action, error) {
	paths, err := buildpath.Resolve(r.cfg.BuildDirectory, req)
	if err != nil {
		return action{}, err
	}
	inputRoot := paths.InputRoot
	s, err := parseProperties(req.Platform, &r.cfg)
	if err != nil {
		return action{}, err
	}
	if err := r.checkUser(s); err != nil {
		return action{}, err
	}
	mode := r.cfg.modeFor(req.InstanceName)
	rootfs, err := r.resolveRootfs(ctx, mode, s, inputRoot)
	if err != nil {
		return action{}, err
	}
	return action{id: r.newContainerID(), inputRoot: inputRoot, rootfs: rootfs, settings: s, mode: mode}, nil
}

// resolveRootfs picks the root filesystem: the image's in ModeImage, the
// input root itself in ModeInputRoot, where an image has no place.
func (r *Runner) resolveRootfs(ctx context.Context, mode Mode, s settings, inputRoot string) (Rootfs, error) {
	if mode != ModeInputRoot {
		return r.cfg.Rootfs(ctx, s.image)
	}
	if s.image != "" {
		return Rootfs{}, errkind.New(errkind.Invalid, "platform property %s=%q: this instance runs actions with their input root as the root filesystem, so it takes no image", imageProperty, s.image)
	}
	return Rootfs{Path: inputRoot}, nil
}

// checkUser refuses unixUID and unixGID values the sandbox does not map,
// which the kernel would refuse only once the container exists.
func (r *Runner) checkUser(s settings) error {
	for _, p := range []struct {
		name string
		id   *uint32
		m    []configs.IDMap
	}{{unixUIDProperty, s.uid, r.identity.uidMap}, {unixGIDProperty, s.gid, r.identity.gidMap}} {
		if p.id == nil {
			continue
		}
		if mapID(p.m, *p.id) < 0 || (r.identity.singleUID && *p.id != 0) {
			return errkind.New(errkind.Invalid, "platform property %s=%d is outside the ids this runner maps into the sandbox (%s)", p.name, *p.id, describeMap(p.m))
		}
	}
	return nil
}

func describeMap(m []configs.IDMap) string {
	var parts []string
	for _, e := range m {
		parts = append(parts, fmt.Sprintf("%d-%d", e.ContainerID, e.ContainerID+e.Size-1))
	}
	return strings.Join(parts, ", ")
}

// sandboxUser is a uid and gid inside the sandbox.
type sandboxUser struct{ uid, gid uint32 }

// actionUser is who the action's command runs as inside the sandbox.
func (r *Runner) actionUser(s settings) sandboxUser {
	if r.identity.singleUID {
		return sandboxUser{0, 0}
	}
	u := sandboxUser{r.cfg.ActionUID, r.cfg.ActionGID}
	if s.runAsRoot {
		u = sandboxUser{0, 0}
	}
	if s.uid != nil {
		u.uid = *s.uid
	}
	if s.gid != nil {
		u.gid = *s.gid
	}
	return u
}
