package platform_test

import (
	"errors"
	"testing"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"

	"github.com/sandbarn/sandbarn/platform"
	"github.com/sandbarn/sandbarn/sandbox/container/limits"
)

func one(name, value string) *remoteexecution.Platform {
	return &remoteexecution.Platform{Properties: []*remoteexecution.Platform_Property{{Name: name, Value: value}}}
}

// farmRules are the rules of `sandbarn farm`'s scheduler: every sandbox
// property goes to the runner, the rest is routed.
func farmRules(t *testing.T) platform.Rules {
	rules := map[string]string{}
	for _, name := range platform.SandboxProperties() {
		rules[name] = platform.RuleRunner
	}
	r, err := platform.NewRules(rules, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var policy = limits.Policy{
	Default: limits.Limits{CPUMillicores: 1000, MemoryBytes: 1 << 30, Pids: 256},
	Maximum: limits.Limits{CPUMillicores: 8000, MemoryBytes: 16 << 30, Pids: 4096},
}

// TestEveryPropertyThroughRoutingAndRunner sends each property the farm
// knows through the farm's routing (is it a requirement, and which value
// does the queue see) and through the runner's reading (settings and the
// limits applied), with the same input.
func TestEveryPropertyThroughRoutingAndRunner(t *testing.T) {
	uid := uint32(1234)
	cases := []struct {
		name, value string
		routed      string // the value routing compares, "" when not routed
		sandbox     platform.Sandbox
		applied     limits.Limits
		invalid     bool
	}{
		{name: platform.OSFamily, value: "linux", routed: "linux"},
		{name: platform.OSFamily, value: "Linux", routed: "linux"},
		{name: platform.ISA, value: "X86-64", routed: "x86-64"},
		{name: "pool", value: "Big", routed: "Big"},
		{name: platform.ContainerImage, value: "docker://r/i@sha256:1", sandbox: platform.Sandbox{Image: "docker://r/i@sha256:1"}},
		{name: platform.ContainerImage, value: "none"},
		{name: platform.CPULimit, value: "1500m", applied: limits.Limits{CPUMillicores: 1500}},
		{name: platform.CPULimit, value: "0.5", applied: limits.Limits{CPUMillicores: 500}},
		{name: platform.CPULimit, value: "9", invalid: true},
		{name: platform.MemoryLimit, value: "512MiB", applied: limits.Limits{MemoryBytes: 512 << 20}},
		{name: platform.MemoryLimit, value: "2G", applied: limits.Limits{MemoryBytes: 2e9}},
		{name: platform.MemoryLimit, value: "2000000000000m", applied: limits.Limits{MemoryBytes: 2e9}},
		{name: platform.MemoryLimit, value: "lots", invalid: true},
		{name: platform.PidsLimit, value: "1k", applied: limits.Limits{Pids: 1000}},
		{name: platform.PidsLimit, value: "1.5", invalid: true},
		{name: platform.DockerNetwork, value: "standard", sandbox: platform.Sandbox{HostNetwork: true}},
		{name: platform.DockerNetwork, value: "bridge", invalid: true},
		{name: platform.Network, value: "on", sandbox: platform.Sandbox{HostNetwork: true}},
		{name: platform.Network, value: "off"},
		{name: platform.DockerRunAsRoot, value: "true", sandbox: platform.Sandbox{RunAsRoot: true}},
		{name: platform.DockerRunAsRoot, value: "yes", invalid: true},
		{name: platform.DockerPrivileged, value: "true", invalid: true},
		{name: platform.UnixUID, value: "1234", sandbox: platform.Sandbox{UID: &uid}},
		{name: platform.UnixUID, value: "0", sandbox: platform.Sandbox{UID: new(uint32), RunAsRoot: true}},
		{name: platform.UnixGID, value: "1234", sandbox: platform.Sandbox{GID: &uid}},
		{name: platform.UnixGID, value: "-1", invalid: true},
	}
	rules := farmRules(t)
	for _, c := range cases {
		p := one(c.name, c.value)
		reqs := rules.Requirements(p)
		if got := routedValue(reqs); got != c.routed {
			t.Errorf("%s=%s: routing compares %q, want %q", c.name, c.value, got, c.routed)
		}
		if c.routed != "" {
			continue
		}
		s, err := platform.ParseSandbox(p)
		var applied limits.Limits
		if err == nil {
			applied, err = policy.Resolve(s.Limits)
		}
		if c.invalid {
			if err == nil {
				t.Errorf("%s=%s: the runner accepted it", c.name, c.value)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s=%s: %v", c.name, c.value, err)
			continue
		}
		if !sameSandbox(s, c.sandbox) {
			t.Errorf("%s=%s: sandbox %+v, want %+v", c.name, c.value, s, c.sandbox)
		}
		if want := withDefaults(c.applied); applied != want {
			t.Errorf("%s=%s: limits %+v, want %+v", c.name, c.value, applied, want)
		}
	}
	if _, err := platform.ParseSandbox(one(platform.DockerPrivileged, "true")); !errors.Is(err, platform.ErrInvalid) {
		t.Errorf("privileged: %v does not wrap ErrInvalid", err)
	}
}

// TestMinimumRoutingAgreesWithLimits checks, for each limit, that a
// worker offering a capacity is chosen exactly when the runner's reading
// of the request is within the runner's reading of the offer: a
// scheduler routing by minimum and the runner never disagree on a value.
func TestMinimumRoutingAgreesWithLimits(t *testing.T) {
	values := []string{"1", "2", "0.5", "1500m", "512MiB", "2G", "2Gi", "1k", "1kB", "64Ki", "3M", "1e3"}
	for _, l := range limits.Table {
		rules, err := platform.NewRules(map[string]string{l.Property: platform.RuleMinimum}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, offered := range values {
			have, err1 := l.Parse(offered)
			for _, asked := range values {
				want, err2 := l.Parse(asked)
				if err1 != nil || err2 != nil {
					continue
				}
				reqs := rules.Requirements(one(l.Property, asked))
				routed := platform.NewOffer(one(l.Property, offered)).SatisfiesAll(reqs)
				if routed != (want <= have) {
					t.Errorf("%s: worker offering %s, action asking %s: routed %v, runner reads %d against %d", l.Property, offered, asked, routed, want, have)
				}
			}
		}
	}
}

func routedValue(reqs []platform.Requirement) string {
	if len(reqs) == 0 {
		return ""
	}
	return reqs[0].Value
}

func withDefaults(l limits.Limits) limits.Limits {
	out := policy.Default
	for _, d := range limits.Table {
		if v := *d.Value(&l); v != 0 {
			*d.Value(&out) = v
		}
	}
	return out
}

func sameSandbox(a, b platform.Sandbox) bool {
	eq := func(x, y *uint32) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	return a.Image == b.Image && a.HostNetwork == b.HostNetwork && a.RunAsRoot == b.RunAsRoot &&
		eq(a.UID, b.UID) && eq(a.GID, b.GID)
}
