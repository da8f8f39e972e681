package container

import (
	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"

	"github.com/sandbarn/sandbarn/errkind"
	"github.com/sandbarn/sandbarn/platform"
	"github.com/sandbarn/sandbarn/sandbox/container/limits"
)

// Property names the runner's own messages use.
const (
	imageProperty   = platform.ContainerImage
	unixUIDProperty = platform.UnixUID
	unixGIDProperty = platform.UnixGID
)

// settings are what an action's platform properties ask of its sandbox,
// with this runner's policy applied.
type settings struct {
	image       string
	limits      limits.Limits
	hostNetwork bool
	runAsRoot   bool
	// uid and gid, when set, are the sandbox user the action asked for
	// with unixUID and unixGID.
	uid, gid *uint32
}

// parseProperties reads the sandbox properties and applies the runner's
// limits and network policy. Bad values are InvalidArgument.
func parseProperties(p *remoteexecution.Platform, cfg *Config) (settings, error) {
	s, err := platform.ParseSandbox(p)
	if err != nil {
		return settings{}, errkind.New(errkind.Invalid, "%w", err)
	}
	l, err := cfg.Limits.Resolve(s.Limits)
	if err != nil {
		return settings{}, errkind.New(errkind.Invalid, "%w", err)
	}
	if s.HostNetwork && !cfg.AllowStandardNetwork {
		return settings{}, errkind.New(errkind.Invalid, "platform property asks for the host network (%s=standard or %s=on): this runner only offers loopback networking", platform.DockerNetwork, platform.Network)
	}
	return settings{image: s.Image, limits: l, hostNetwork: s.HostNetwork, runAsRoot: s.RunAsRoot, uid: s.UID, gid: s.GID}, nil
}
