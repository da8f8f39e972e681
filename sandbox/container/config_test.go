package container

import (
	"testing"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"

	"github.com/sandbarn/sandbarn/errkind"
)

func TestValidateRefusesMappingOverFileCacheOwner(t *testing.T) {
	cfg := Config{BuildDirectory: "/build", FirstHostUID: 100000, UIDCount: 65536, FileCacheOwnerUID: 120000}
	cfg.applyDefaults(false)
	if err := cfg.validate(false); err == nil {
		t.Error("a uid range containing the file cache owner was accepted")
	}
	cfg.FileCacheOwnerUID = 1000
	if err := cfg.validate(false); err != nil {
		t.Errorf("a valid range was refused: %v", err)
	}
	cfg.FirstHostUID = 0
	if err := cfg.validate(false); err == nil {
		t.Error("a range mapping host root was accepted")
	}
}

func TestRootlessSingleUIDRefusesCacheOwner(t *testing.T) {
	cfg := Config{BuildDirectory: "/build", FileCacheOwnerUID: 4242}
	cfg.applyDefaults(true)
	id, err := newIdentity(&cfg, true)
	if err != nil {
		t.Fatal(err)
	}
	if !id.singleUID || len(id.uidMap) != 1 || id.uidMap[0].Size != 1 || id.uidMap[0].ContainerID != 0 {
		t.Errorf("rootless mapping %+v, want the action uid alone", id.uidMap)
	}
	cfg.RootlessSubordinateUID, cfg.RootlessSubordinateCount = 200000, 65536
	if id, err = newIdentity(&cfg, true); err != nil || id.singleUID || id.uidMap[0].HostID != 200000 {
		t.Errorf("subordinate mapping %+v, %v", id.uidMap, err)
	}
}

func TestParseProperties(t *testing.T) {
	cfg := Config{Limits: testPolicy}
	platform := func(kv ...string) *remoteexecution.Platform {
		p := &remoteexecution.Platform{}
		for i := 0; i < len(kv); i += 2 {
			p.Properties = append(p.Properties, &remoteexecution.Platform_Property{Name: kv[i], Value: kv[i+1]})
		}
		return p
	}
	s, err := parseProperties(platform("OSFamily", "Linux", "container-image", "none", "dockerRunAsRoot", "true", "cpu-limit", "1500m"), &cfg)
	if err != nil || s.image != "" || !s.runAsRoot || s.limits.CPUMillicores != 1500 || s.limits.MemoryBytes != testPolicy.Default.MemoryBytes {
		t.Errorf("parseProperties = %+v, %v", s, err)
	}
	for _, p := range []*remoteexecution.Platform{
		platform("dockerNetwork", "standard"),
		platform("dockerPrivileged", "false"),
		platform("memory-limit", "1G", "memory-limit", "2G"),
		platform("pids-limit", "-3"),
	} {
		if _, err := parseProperties(p, &cfg); errkind.Of(err) != errkind.Invalid {
			t.Errorf("%v gave %v, want InvalidArgument", p, err)
		}
	}
	cfg.AllowStandardNetwork = true
	if s, err := parseProperties(platform("dockerNetwork", "standard"), &cfg); err != nil || !s.hostNetwork {
		t.Errorf("standard network with permission: %+v, %v", s, err)
	}
}

func TestModeForInstanceName(t *testing.T) {
	cfg := Config{ExecutionModes: []ExecutionMode{{"", ModeImage}, {"chroot", ModeInputRoot}, {"chroot/images", ModeImage}}}
	for name, want := range map[string]Mode{
		"": ModeImage, "chroot": ModeInputRoot, "chroot/x": ModeInputRoot, "chrootx": ModeImage,
		"chroot/images": ModeImage, "chroot/images/y": ModeImage, "other": ModeImage,
	} {
		if got := cfg.modeFor(name); got != want {
			t.Errorf("instance %q: mode %q, want %q", name, got, want)
		}
	}
	if got := (&Config{}).modeFor("chroot"); got != ModeImage {
		t.Errorf("without modes: %q, want image", got)
	}
	for _, bad := range [][]ExecutionMode{
		{{"a", "chroot"}},
		{{"a", ModeImage}, {"a", ModeInputRoot}},
		{{"/a", ModeImage}},
	} {
		if err := validateModes(bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestParsePropertiesBuildStream(t *testing.T) {
	cfg := Config{Limits: testPolicy}
	p := &remoteexecution.Platform{}
	for _, kv := range [][2]string{{"OSFamily", "linux"}, {"ISA", "x86-64"}, {"unixUID", "1001"}, {"unixGID", "1002"}, {"network", "off"}, {"some-routing-key", "x"}} {
		p.Properties = append(p.Properties, &remoteexecution.Platform_Property{Name: kv[0], Value: kv[1]})
	}
	s, err := parseProperties(p, &cfg)
	if err != nil || s.uid == nil || *s.uid != 1001 || s.gid == nil || *s.gid != 1002 || s.hostNetwork || s.runAsRoot {
		t.Fatalf("parseProperties = %+v, %v", s, err)
	}
	cfg.AllowStandardNetwork = true
	on := &remoteexecution.Platform{Properties: []*remoteexecution.Platform_Property{{Name: "network", Value: "on"}}}
	if s, err := parseProperties(on, &cfg); err != nil || !s.hostNetwork {
		t.Errorf("network=on with permission: %+v, %v", s, err)
	}
	on.Properties = append(on.Properties, &remoteexecution.Platform_Property{Name: "dockerNetwork", Value: "off"})
	if _, err := parseProperties(on, &cfg); errkind.Of(err) != errkind.Invalid {
		t.Errorf("network=on with dockerNetwork=off gave %v, want InvalidArgument", err)
	}
}
