package workerapp

import (
	"testing"

	"github.com/sandbarn/sandbarn/cmd/internal/configfile"
)

func TestExampleConfigLoads(t *testing.T) {
	var cfg Config
	if err := configfile.Load("../../../configs/bb_worker.jsonnet", &cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.Concurrency != 2 || cfg.Platform["ISA"] != "x86-64" {
		t.Fatalf("unexpected example: %+v", cfg)
	}
}

func TestMissingFieldsRejected(t *testing.T) {
	for _, cfg := range []Config{
		{},
		{SchedulerAddress: "s", StorageAddress: "s", RunnerSocket: "r", BuildDirectory: "b", CacheDirectory: "c"},
		{SchedulerAddress: "s", StorageAddress: "s", RunnerSocket: "r", BuildDirectory: "b", CacheDirectory: "c", CacheSizeBytes: 1},
	} {
		if err := cfg.Validate(); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}
