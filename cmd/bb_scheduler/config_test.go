package main

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/sandbarn/sandbarn/cmd/internal/configfile"
	"github.com/sandbarn/sandbarn/cmd/internal/configfile/configfiletest"
	"github.com/sandbarn/sandbarn/platform"
	"github.com/sandbarn/sandbarn/scheduler"
)

const examplePath = "../../configs/bb_scheduler.jsonnet"

// programFields are the fields of config that configure bb_scheduler
// itself rather than scheduler.Config.
var programFields = []string{
	"ClientGRPCListenAddress", "WorkerGRPCListenAddress", "AdminHTTPListenAddress", "Storage", "GCPercent", "MemoryLimitBytes",
}

// notConfigurable are the scheduler.Config fields the configuration file
// deliberately cannot set, with the reason. None today: a tunable the file
// cannot reach is drift, not a choice.
var notConfigurable = map[string]string{}

func TestExampleConfigLoads(t *testing.T) {
	var cfg config
	if err := configfile.Load(examplePath, &cfg); err != nil {
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

// The example sets every field of the file's struct, so each is shown
// with its comment.
func TestExampleSetsEveryField(t *testing.T) {
	configfiletest.CheckExample(t, examplePath, config{}, nil)
}

// Every field of scheduler.Config can be set from the file: with every
// field of the file set, schedulerConfig leaves none of them zero.
func TestEverySchedulerFieldConfigurable(t *testing.T) {
	var cfg config
	fill(reflect.ValueOf(&cfg).Elem())
	sc := reflect.ValueOf(cfg.schedulerConfig())
	for i := range sc.NumField() {
		f := sc.Type().Field(i)
		if !f.IsExported() {
			continue
		}
		_, skip := notConfigurable[f.Name]
		switch {
		case skip && !sc.Field(i).IsZero():
			t.Errorf("scheduler.Config.%s is listed as not configurable, but the file sets it", f.Name)
		case !skip && sc.Field(i).IsZero():
			t.Errorf("scheduler.Config.%s cannot be set from bb_scheduler's configuration: add it to config, schedulerConfig and %s", f.Name, examplePath)
		}
	}
	for name := range notConfigurable {
		if _, ok := sc.Type().FieldByName(name); !ok {
			t.Errorf("notConfigurable lists %s, which scheduler.Config does not have", name)
		}
	}
}

// Every field of the file reaches scheduler.Config, unless it configures
// the program itself (programFields).
func TestEveryFieldUsed(t *testing.T) {
	zero := (&config{}).schedulerConfig()
	v := reflect.ValueOf(config{})
	for i := range v.NumField() {
		name := v.Type().Field(i).Name
		var cfg config
		fill(reflect.ValueOf(&cfg).Elem().Field(i))
		used := !reflect.DeepEqual(cfg.schedulerConfig(), zero)
		switch program := slices.Contains(programFields, name); {
		case used && program:
			t.Errorf("config.%s is listed as the program's own but reaches scheduler.Config", name)
		case !used && !program:
			t.Errorf("config.%s reaches neither scheduler.Config nor the program (programFields)", name)
		}
	}
}

// The example shows the defaults, so that reading it tells what an unset
// field means; propertyRules, which has none, must give every sandbox
// property to the runner.
func TestExampleShowsDefaults(t *testing.T) {
	var cfg config
	if err := configfile.Load(examplePath, &cfg); err != nil {
		t.Fatal(err)
	}
	got, def := reflect.ValueOf(cfg.schedulerConfig()), reflect.ValueOf(scheduler.DefaultConfig())
	for i := range def.NumField() {
		f := def.Type().Field(i)
		if !f.IsExported() || def.Field(i).IsZero() || reflect.DeepEqual(got.Field(i).Interface(), def.Field(i).Interface()) {
			continue
		}
		if got.Field(i).IsZero() {
			t.Errorf("%s does not set %s; show its default, %v", examplePath, f.Name, def.Field(i))
		} else {
			t.Errorf("%s sets %s to %v; the default is %v", examplePath, f.Name, got.Field(i), def.Field(i))
		}
	}
	if !slices.Equal(cfg.CaseInsensitiveProperties, platform.DefaultCaseInsensitive()) {
		t.Errorf("caseInsensitiveProperties %v; the default is %v", cfg.CaseInsensitiveProperties, platform.DefaultCaseInsensitive())
	}
	for _, name := range platform.SandboxProperties() {
		if rule := cfg.PropertyRules[name]; rule != platform.RuleRunner {
			t.Errorf("propertyRules gives the sandbox property %s rule %q, want %q", name, rule, platform.RuleRunner)
		}
	}
}

func TestEmptyCaseInsensitiveListKept(t *testing.T) {
	var cfg config
	if err := configfile.LoadSnippet("c.jsonnet", `{ caseInsensitiveProperties: [] }`, &cfg); err != nil {
		t.Fatal(err)
	}
	// nil would mean the default list; an empty one, none.
	if ci := cfg.schedulerConfig().CaseInsensitiveProperties; ci == nil || len(ci) != 0 {
		t.Fatalf("caseInsensitiveProperties [] became %#v", ci)
	}
}

// fill sets v and everything below it to non-zero values.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(1)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0))
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k)
		fill(e)
		v.SetMapIndex(k, e)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem())
	}
}
