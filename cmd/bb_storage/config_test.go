package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sandbarn/sandbarn/cmd/internal/configfile"
)

func TestExampleConfigLoads(t *testing.T) {
	var cfg config
	if err := configfile.Load("../../configs/bb_storage.jsonnet", &cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.CAS.MaxSizeBytes <= 0 || cfg.MaxMessageSizeBytes <= 0 {
		t.Errorf("example config lacks sizes: %+v", cfg)
	}
}

func TestConfigIsStrict(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.jsonnet")
	src := `{grpcListenAddress: ':0', cas: {directory: 'a', maxSizeBytes: 1, maxSizeByte: 2}, actionCache: {directory: 'b', maxSizeBytes: 1}}`
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var cfg config
	err := configfile.Load(path, &cfg)
	if err == nil || !strings.Contains(err.Error(), "maxSizeByte") {
		t.Errorf("misspelt field: got %v, want an error naming it", err)
	}
	for name, c := range map[string]config{
		"no address":     {CAS: storeConfig{Directory: "a"}, ActionCache: storeConfig{Directory: "b"}},
		"no directories": {GRPCListenAddress: ":0"},
		"same directory": {GRPCListenAddress: ":0", CAS: storeConfig{Directory: "a"}, ActionCache: storeConfig{Directory: "a"}},
	} {
		if c.validate() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
