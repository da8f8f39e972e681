package runnerapp

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sandbarn/sandbarn/cmd/internal/configfile"
	"github.com/sandbarn/sandbarn/sandbox/container"
)

func TestExampleConfigLoads(t *testing.T) {
	var cfg Config
	if err := configfile.Load("../../../configs/bb_runner.jsonnet", &cfg); err != nil {
		t.Fatal(err)
	}
	if m, err := cfg.socketMode(); err != nil || m != 0o660 {
		t.Errorf("socket mode %v, %v", m, err)
	}
}

func TestConfigDefaultsAndErrors(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{BuildDirectory: dir, GRPCListenPath: filepath.Join(dir, "s")}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.Sandbox != "process" || time.Duration(cfg.ShutdownGracePeriod) != defaultGracePeriod {
		t.Errorf("defaults not applied: %+v", cfg)
	}
	if m, err := cfg.socketMode(); err != nil || m != defaultSocketMode {
		t.Errorf("default socket mode %v, %v", m, err)
	}
	for _, bad := range []Config{
		{GRPCListenPath: "s"},
		{BuildDirectory: dir},
		{BuildDirectory: filepath.Join(dir, "missing"), GRPCListenPath: "s"},
		{BuildDirectory: dir, GRPCListenPath: "s", CgroupParent: "relative/cg"},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	for _, mode := range []string{"rw", "0999", "1777"} {
		c := Config{GRPCListenPathMode: mode}
		if _, err := c.socketMode(); err == nil {
			t.Errorf("mode %q accepted", mode)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "c.jsonnet"), []byte("{ buildDirectry: 'x' }"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := configfile.Load(filepath.Join(dir, "c.jsonnet"), &cfg); err == nil {
		t.Error("misspelt field accepted")
	}
}

func TestExecutionModesLoad(t *testing.T) {
	dir := t.TempDir()
	text := `{ buildDirectory: '/b', grpcListenPath: '/s', sandbox: 'container', container: { executionModes: [
		{ instanceNamePrefix: '', mode: 'image' },
		{ instanceNamePrefix: 'chroot', mode: 'input-root' },
	] } }`
	if err := os.WriteFile(filepath.Join(dir, "c.jsonnet"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	var cfg Config
	if err := configfile.Load(filepath.Join(dir, "c.jsonnet"), &cfg); err != nil {
		t.Fatal(err)
	}
	modes := cfg.Container.executionModes()
	if len(modes) != 2 || modes[1].InstanceNamePrefix != "chroot" || modes[1].Mode != container.ModeInputRoot || modes[0].Mode != container.ModeImage {
		t.Errorf("execution modes %+v", modes)
	}
}
