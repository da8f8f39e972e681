package container

import (
	"fmt"
	"strconv"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sandbarn/sandbarn/sandbox/container/limits"
)

// Names of the sandbox platform properties besides the limits.
const (
	imageProperty      = "container-image"
	networkProperty    = "dockerNetwork"
	runAsRootProperty  = "dockerRunAsRoot"
	privilegedProperty = "dockerPrivileged"
	// BuildStream's names: the action's uid and gid inside the sandbox,
	// and on/off for the network.
	unixUIDProperty      = "unixUID"
	unixGIDProperty      = "unixGID"
	plainNetworkProperty = "network"
)

// settings are what an action's platform properties ask of its sandbox.
type settings struct {
	image       string
	limits      limits.Limits
	hostNetwork bool
	runAsRoot   bool
	// uid and gid, when set, are the sandbox user the action asked for
	// with unixUID and unixGID.
	uid, gid *uint32
}

// parseProperties reads the sandbox properties; routing properties such
// as OSFamily pass through untouched. Bad values are InvalidArgument.
func parseProperties(platform *remoteexecution.Platform, cfg *Config) (settings, error) {
	props := map[string]string{}
	for _, p := range platform.GetProperties() {
		if _, dup := props[p.Name]; dup && isSandboxProperty(p.Name) {
			return settings{}, status.Errorf(codes.InvalidArgument, "platform property %s is given more than once", p.Name)
		}
		props[p.Name] = p.Value
	}
	var s settings
	var err error
	if s.limits, err = cfg.Limits.Resolve(props); err != nil {
		return settings{}, status.Error(codes.InvalidArgument, err.Error())
	}
	if _, ok := props[privilegedProperty]; ok {
		return settings{}, status.Errorf(codes.InvalidArgument, "platform property %s: privileged sandboxes are never allowed", privilegedProperty)
	}
	if s.image = props[imageProperty]; s.image == "none" {
		s.image = ""
	}
	if s.runAsRoot, err = parseBool(runAsRootProperty, props[runAsRootProperty]); err != nil {
		return settings{}, err
	}
	if s.hostNetwork, err = parseNetwork(props, cfg.AllowStandardNetwork); err != nil {
		return settings{}, err
	}
	if err := parseUser(props, &s); err != nil {
		return settings{}, err
	}
	return s, nil
}

// parseNetwork reads dockerNetwork (off/standard) and BuildStream's
// network (off/on), which mean the same; both given must agree. It says
// whether the action shares the host's network namespace.
func parseNetwork(props map[string]string, allowHost bool) (bool, error) {
	host, given := false, false
	for _, p := range []struct{ name, off, on string }{
		{networkProperty, "off", "standard"},
		{plainNetworkProperty, "off", "on"},
	} {
		v, ok := props[p.name]
		if !ok {
			continue
		}
		var want bool
		switch v {
		case p.off:
		case p.on:
			want = true
		default:
			return false, status.Errorf(codes.InvalidArgument, "platform property %s=%q: must be %s or %s", p.name, v, p.off, p.on)
		}
		if given && want != host {
			return false, status.Errorf(codes.InvalidArgument, "platform properties %s and %s disagree about the network", networkProperty, plainNetworkProperty)
		}
		host, given = want, true
	}
	if host && !allowHost {
		return false, status.Error(codes.InvalidArgument, "platform property asks for the host network (dockerNetwork=standard or network=on): this runner only offers loopback networking")
	}
	return host, nil
}

// parseUser reads unixUID and unixGID. uid 0 is sandbox root, which gets
// what dockerRunAsRoot gives; asking for root one way and for another
// user the other is contradictory.
func parseUser(props map[string]string, s *settings) error {
	for _, p := range []struct {
		name string
		dst  **uint32
	}{{unixUIDProperty, &s.uid}, {unixGIDProperty, &s.gid}} {
		v, ok := props[p.name]
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return status.Errorf(codes.InvalidArgument, "platform property %s=%q: must be a decimal id", p.name, v)
		}
		id := uint32(n)
		*p.dst = &id
	}
	if s.uid == nil {
		return nil
	}
	if *s.uid == 0 {
		s.runAsRoot = true
	} else if s.runAsRoot {
		return status.Errorf(codes.InvalidArgument, "platform properties %s=true and %s=%d contradict each other", runAsRootProperty, unixUIDProperty, *s.uid)
	}
	return nil
}

func parseBool(name, value string) (bool, error) {
	switch value {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, status.Error(codes.InvalidArgument, fmt.Sprintf("platform property %s=%q: must be true or false", name, value))
}

func isSandboxProperty(name string) bool {
	switch name {
	case imageProperty, networkProperty, runAsRootProperty, privilegedProperty,
		unixUIDProperty, unixGIDProperty, plainNetworkProperty,
		limits.CPUProperty, limits.MemoryProperty, limits.PidsProperty:
		return true
	}
	return false
}
