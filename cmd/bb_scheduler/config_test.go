package main

import (
	"testing"
	"time"

	"github.com/sandbarn/sandbarn/cmd/internal/configfile"
)

func TestExampleConfigLoads(t *testing.T) {
	var cfg config
	if err := configfile.Load("../../configs/bb_scheduler.jsonnet", &cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	sc := cfg.schedulerConfig()
	if sc.WorkerLostTimeout != time.Minute || sc.PropertyRules["memory"] != "minimum" || !cfg.Storage.ProxyStorage {
		t.Fatalf("example config not carried over: %+v", sc)
	}
}

func TestUnknownFieldRejected(t *testing.T) {
	var cfg config
	err := configfile.LoadSnippet("bad.jsonnet", `{ clientGrpcListenAddress: ':1', workerLostTimeuot: '1m' }`, &cfg)
	if err == nil {
		t.Fatal("misspelt field accepted")
	}
}
