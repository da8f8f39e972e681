package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sandbarn/sandbarn/cmd/internal/configfile"
	"github.com/sandbarn/sandbarn/storage/configuration"
)

// The example configuration loads, and its backends open (below a
// temporary directory, as its paths are relative).
func TestExampleConfigLoads(t *testing.T) {
	example, err := filepath.Abs("../../configs/bb_storage.jsonnet")
	if err != nil {
		t.Fatal(err)
	}
	var cfg config
	if err := configfile.Load(example, &cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	cas := cfg.Blobstore.ContentAddressableStorage.Local
	if cas == nil || cas.MaxSizeBytes <= 0 || cfg.MaxMessageSizeBytes <= 0 {
		t.Fatalf("example config lacks a local CAS or sizes: %+v", cfg)
	}
	t.Chdir(t.TempDir())
	backends := configuration.NewFactory()
	defer backends.Close()
	if _, _, err := backends.NewBlobstore(&cfg.Blobstore); err != nil {
		t.Fatal(err)
	}
}

func TestConfigIsStrict(t *testing.T) {
	for field, src := range map[string]string{
		"maxSizeByte": `{grpcListenAddress: ':0', blobstore: {contentAddressableStorage: {'local': {directory: 'a', maxSizeByte: 2}}}}`,
		"s3":          `{grpcListenAddress: ':0', blobstore: {contentAddressableStorage: {s3: {}}}}`,
		"cas":         `{grpcListenAddress: ':0', cas: {directory: 'a', maxSizeBytes: 1}}`,
	} {
		path := filepath.Join(t.TempDir(), "c.jsonnet")
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		var cfg config
		err := configfile.Load(path, &cfg)
		if err == nil || !strings.Contains(err.Error(), `"`+field+`"`) {
			t.Errorf("unknown field %s: got %v, want an error naming it", field, err)
		}
	}
	if (&config{}).validate() == nil {
		t.Error("a config without grpcListenAddress was accepted")
	}
}
