package container

import (
	"fmt"

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
)

// settings are what an action's platform properties ask of its sandbox.
type settings struct {
	image       string
	limits      limits.Limits
	hostNetwork bool
	runAsRoot   bool
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
	switch v := props[networkProperty]; v {
	case "", "off":
	case "standard":
		if !cfg.AllowStandardNetwork {
			return settings{}, status.Errorf(codes.InvalidArgument, "platform property %s=standard: this runner only offers loopback networking", networkProperty)
		}
		s.hostNetwork = true
	default:
		return settings{}, status.Errorf(codes.InvalidArgument, "platform property %s=%q: must be off or standard", networkProperty, v)
	}
	return s, nil
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
		limits.CPUProperty, limits.MemoryProperty, limits.PidsProperty:
		return true
	}
	return false
}
