package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteStorageConfig(t *testing.T) {
	dir := t.TempDir()
	example := filepath.Join(dir, "example.jsonnet")
	src := `{
  grpcServers: [{ listenAddresses: [':8980'] }],
  httpListenAddress: 'localhost:9980',
  contentAddressableStorage: { 'local': { path: '/var/lib/sandbarn/cas', sizeBytes: 1024 * 1024 } },
  actionCache: { 'local': { directory: 'ac' } },
  instanceName: 'main',
}`
	if err := os.WriteFile(example, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	path, addr := writeStorageConfig(t, example, data)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		GRPCServers []struct {
			ListenAddresses []string `json:"listenAddresses"`
		} `json:"grpcServers"`
		HTTPListenAddress string `json:"httpListenAddress"`
		CAS               struct {
			Local struct {
				Path      string `json:"path"`
				SizeBytes int    `json:"sizeBytes"`
			} `json:"local"`
		} `json:"contentAddressableStorage"`
		AC struct {
			Local struct {
				Directory string `json:"directory"`
			} `json:"local"`
		} `json:"actionCache"`
		InstanceName string `json:"instanceName"`
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("rewritten config lost its shape: %v\n%s", err, b)
	}
	if got := cfg.GRPCServers[0].ListenAddresses[0]; got != addr || !strings.HasPrefix(got, "127.0.0.1:") || got == "127.0.0.1:8980" {
		t.Errorf("REAPI address %q, returned %q", got, addr)
	}
	if cfg.HTTPListenAddress == addr || !strings.HasPrefix(cfg.HTTPListenAddress, "127.0.0.1:") {
		t.Errorf("second port not moved apart: %q", cfg.HTTPListenAddress)
	}
	if cfg.CAS.Local.Path != filepath.Join(data, "var/lib/sandbarn/cas") || cfg.AC.Local.Directory != filepath.Join(data, "ac") {
		t.Errorf("paths not re-rooted: %q %q", cfg.CAS.Local.Path, cfg.AC.Local.Directory)
	}
	if cfg.CAS.Local.SizeBytes != 1024*1024 || cfg.InstanceName != "main" {
		t.Errorf("unrelated values changed: %+v", cfg)
	}
}
