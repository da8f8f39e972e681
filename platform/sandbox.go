package platform

import (
	"errors"
	"fmt"
	"strconv"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
)

// ErrInvalid marks an error in what an action's properties ask for; the
// runner answers it with InvalidArgument.
var ErrInvalid = errors.New("invalid platform property")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

// Sandbox is what an action's sandbox properties ask of the runner.
// Whether the runner grants it (limits within its maxima, the host
// network, the uid) is the runner's policy.
type Sandbox struct {
	// Image is the container-image value; "" for none.
	Image string
	// Limits holds the values of cpu-limit, memory-limit and pids-limit
	// that were given, by name.
	Limits map[string]string
	// HostNetwork: dockerNetwork=standard or network=on.
	HostNetwork bool
	// RunAsRoot: dockerRunAsRoot=true or unixUID=0.
	RunAsRoot bool
	// UID and GID, when set, are the sandbox user asked for with unixUID
	// and unixGID.
	UID, GID *uint32
}

// ParseSandbox reads the sandbox properties of p; routing properties
// such as OSFamily are left alone. Errors wrap ErrInvalid and name the
// property.
func ParseSandbox(p *remoteexecution.Platform) (Sandbox, error) {
	props := map[string]string{}
	for _, pp := range p.GetProperties() {
		if _, dup := props[pp.Name]; dup && IsSandboxProperty(pp.Name) {
			return Sandbox{}, invalid("%s is given more than once", pp.Name)
		}
		props[pp.Name] = pp.Value
	}
	if _, ok := props[DockerPrivileged]; ok {
		return Sandbox{}, invalid("%s: privileged sandboxes are never allowed", DockerPrivileged)
	}
	s := Sandbox{Image: props[ContainerImage], Limits: map[string]string{}}
	if s.Image == "none" {
		s.Image = ""
	}
	for _, name := range LimitProperties() {
		if v, ok := props[name]; ok {
			s.Limits[name] = v
		}
	}
	var err error
	if s.RunAsRoot, err = parseBool(DockerRunAsRoot, props[DockerRunAsRoot]); err != nil {
		return Sandbox{}, err
	}
	if s.HostNetwork, err = parseNetwork(props); err != nil {
		return Sandbox{}, err
	}
	if err := parseUser(props, &s); err != nil {
		return Sandbox{}, err
	}
	return s, nil
}

// parseNetwork reads dockerNetwork (off/standard) and BuildStream's
// network (off/on), which mean the same; both given must agree.
func parseNetwork(props map[string]string) (bool, error) {
	host, given := false, false
	for _, p := range []struct{ name, off, on string }{
		{DockerNetwork, "off", "standard"},
		{Network, "off", "on"},
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
			return false, invalid("%s=%q: must be %s or %s", p.name, v, p.off, p.on)
		}
		if given && want != host {
			return false, invalid("%s and %s disagree about the network", DockerNetwork, Network)
		}
		host, given = want, true
	}
	return host, nil
}

// parseUser reads unixUID and unixGID. uid 0 is sandbox root, which gets
// what dockerRunAsRoot gives; asking for root one way and for another
// user the other is contradictory.
func parseUser(props map[string]string, s *Sandbox) error {
	for _, p := range []struct {
		name string
		dst  **uint32
	}{{UnixUID, &s.UID}, {UnixGID, &s.GID}} {
		v, ok := props[p.name]
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return invalid("%s=%q: must be a decimal id", p.name, v)
		}
		id := uint32(n)
		*p.dst = &id
	}
	if s.UID == nil {
		return nil
	}
	if *s.UID == 0 {
		s.RunAsRoot = true
	} else if s.RunAsRoot {
		return invalid("%s=true and %s=%d contradict each other", DockerRunAsRoot, UnixUID, *s.UID)
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
	return false, invalid("%s=%q: must be true or false", name, value)
}
