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
	cas, ac := cfg.Blobstore.ContentAddressableStorage.GRPC, cfg.Blobstore.ActionCache.GRPC
	if cas == nil || ac == nil || cas.Address != "127.0.0.1:8980" || ac.Address != cas.Address {
		t.Fatalf("example does not use bb_storage on 127.0.0.1:8980: %+v", cfg.Blobstore)
	}
	if cfg.Concurrency != 2 || cfg.Platform["ISA"] != "x86-64" {
		t.Fatalf("unexpected example: %+v", cfg)
	}
}

func TestMissingFieldsRejected(t *testing.T) {
	for _, cfg := range []Config{
		{},
		{SchedulerAddress: "s", RunnerSocket: "r", BuildDirectory: "b", CacheDirectory: "c"},
		{SchedulerAddress: "s", RunnerSocket: "r", BuildDirectory: "b", CacheDirectory: "c", CacheSizeBytes: 1},
	} {
		if err := cfg.Validate(); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}
