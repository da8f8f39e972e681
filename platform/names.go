package platform

// Names of the properties the farm knows.
const (
	// Routing: workers advertise them, actions ask for them.
	OSFamily = "OSFamily"
	ISA      = "ISA"

	// Sandbox: the runner reads them; they are never used for routing.
	ContainerImage   = "container-image"
	CPULimit         = "cpu-limit"
	MemoryLimit      = "memory-limit"
	PidsLimit        = "pids-limit"
	DockerNetwork    = "dockerNetwork"
	DockerRunAsRoot  = "dockerRunAsRoot"
	DockerPrivileged = "dockerPrivileged"
	// BuildStream's names: the action's uid and gid inside the sandbox,
	// and on/off for the network.
	UnixUID = "unixUID"
	UnixGID = "unixGID"
	Network = "network"
)

// LimitProperties lists the resource limits an action may ask for; the
// runner's table of limits (sandbox/container/limits) has an entry for
// each, which its test checks.
func LimitProperties() []string {
	return []string{CPULimit, MemoryLimit, PidsLimit}
}

// SandboxProperties lists the properties the runner reads. A scheduler in
// front of runners gives them RuleRunner.
func SandboxProperties() []string {
	return append(LimitProperties(),
		ContainerImage, DockerNetwork, DockerRunAsRoot, DockerPrivileged,
		UnixUID, UnixGID, Network)
}

// IsSandboxProperty reports whether the runner reads name.
func IsSandboxProperty(name string) bool {
	for _, n := range SandboxProperties() {
		if n == name {
			return true
		}
	}
	return false
}

// DefaultCaseInsensitive are the properties whose values name things with
// no meaningful case: the operating system family and the instruction
// set (BuildStream sends OSFamily=linux, Bazel's RBE configurations
// Linux).
func DefaultCaseInsensitive() []string {
	return []string{OSFamily, ISA}
}
