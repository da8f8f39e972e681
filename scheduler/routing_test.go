package scheduler

import (
	"strings"
	"testing"
	"time"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"google.golang.org/grpc/codes"
)

func TestInstanceSuffix(t *testing.T) {
	cases := []struct {
		prefix, instance, suffix string
		ok                       bool
	}{
		{"", "a/b", "a/b", true},
		{"a", "a", "", true},
		{"a", "a/b", "b", true},
		{"a", "ab", "", false},
		{"a/b", "a", "", false},
	}
	for _, c := range cases {
		suffix, ok := instanceSuffix(c.prefix, c.instance)
		if suffix != c.suffix || ok != c.ok {
			t.Errorf("instanceSuffix(%q, %q) = %q, %v", c.prefix, c.instance, suffix, ok)
		}
	}
}

func TestMinimumRuleRoutesByCapacity(t *testing.T) {
	e := newEnv(t, testConfig())
	small := e.worker("small", "", map[string]string{"memory": "2GiB"})
	big := e.worker("big", "", map[string]string{"memory": "16GiB"})
	small.sync(idleState())
	big.sync(idleState())
	d := e.upload(actionOpts{actionPlatform: map[string]string{"memory": "8GiB"}})
	e.execute("a", "", d, 0)
	if assigned(small.sync(idleState())) != nil {
		t.Fatal("worker below the minimum got the action")
	}
	if assigned(big.sync(idleState())) == nil {
		t.Fatal("worker above the minimum did not get the action")
	}
}

// When the only workers of the longest prefix leave, the queue falls back
// to the next-longest prefix's workers.
func TestQueueRelinksWhenClassDisappears(t *testing.T) {
	e := newEnv(t, testConfig())
	general := e.worker("general", "", linux)
	team := e.worker("team", "team", linux)
	team.sync(idleState())
	d := e.upload(actionOpts{actionPlatform: linux})
	op := e.execute("a", "team", d, 0)
	// Only the general worker keeps synchronizing; the team one goes away.
	e.clk.Advance(e.s.cfg.WorkerLostTimeout / 2)
	general.sync(idleState())
	e.clk.Advance(e.s.cfg.WorkerLostTimeout/2 + time.Second)
	general.sync(idleState())
	e.s.sweep()
	ex := assigned(general.sync(idleState()))
	if ex == nil || ex.InstanceNameSuffix != "team" {
		t.Fatalf("general worker got %v after the team worker left, want the action with suffix \"team\"", ex)
	}
	if e.stageOf(op) != remoteexecution.ExecutionStage_EXECUTING {
		t.Fatal("operation not executing")
	}
}

func TestCompletedOperationsExpire(t *testing.T) {
	e := newEnv(t, testConfig())
	w := e.worker("w1", "", linux)
	w.sync(idleState())
	d := e.upload(actionOpts{actionPlatform: linux})
	op := e.execute("a", "", d, 0)
	assigned(w.sync(idleState()))
	w.sync(completedState(d.Proto(), 0))
	if _, ok := e.s.Admin().Operation(op.name); !ok {
		t.Fatal("finished operation forgotten at once")
	}
	e.clk.Advance(e.s.cfg.CompletedRetention + time.Second)
	w.sync(idleState())
	e.s.sweep()
	if _, ok := e.s.Admin().Operation(op.name); ok {
		t.Fatal("finished operation kept beyond the retention")
	}
	// A new Execute of the same action starts afresh rather than merging
	// into the finished one.
	if again := e.execute("a", "", d, 0); again == op {
		t.Fatal("merged into a finished operation")
	}
}

func TestCapabilities(t *testing.T) {
	e := newEnv(t, testConfig())
	c := e.s.ExecutionCapabilities()
	if !c.ExecEnabled || c.DigestFunction != remoteexecution.DigestFunction_SHA256 || len(c.ExecutionPriorityCapabilities.GetPriorities()) != 1 {
		t.Fatalf("capabilities %v", c)
	}
}

func TestConfigRejectsUnknownRule(t *testing.T) {
	cfg := testConfig()
	cfg.PropertyRules["gpu"] = "atleast"
	if _, err := New(cfg, nil, nil, SystemClock{}, RandomIDs{}, nil); err == nil {
		t.Fatal("unknown matching rule accepted")
	}
}

func TestRandomIDsAreDistinct(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		id := RandomIDs{}.NewID()
		if seen[id] || len(id) < 20 {
			t.Fatalf("weak or repeated operation name %q", id)
		}
		seen[id] = true
	}
}

// BuildStream spells the platform OSFamily=linux and Bazel's RBE
// configurations Linux; both must reach a worker advertising either.
func TestCaseInsensitivePropertiesMatchAnySpelling(t *testing.T) {
	e := newEnv(t, testConfig())
	w := e.worker("w1", "", map[string]string{"OSFamily": "Linux", "ISA": "x86-64"})
	w.sync(idleState())
	lower := e.upload(actionOpts{actionPlatform: map[string]string{"OSFamily": "linux", "ISA": "X86-64"}})
	upper := e.upload(actionOpts{actionPlatform: map[string]string{"OSFamily": "Linux", "ISA": "x86-64"}, timeout: time.Minute})
	e.pastGrace()
	w.sync(idleState())
	first := e.execute("a", "", lower, 0)
	second := e.execute("a", "", upper, 0)
	if first.queue != second.queue {
		t.Error("spellings differing in case got separate platform queues")
	}
	if ex := assigned(w.sync(idleState())); ex == nil {
		t.Fatal("worker advertising Linux did not get the linux action")
	}
}

func TestCaseSensitiveWhenConfiguredSo(t *testing.T) {
	cfg := testConfig()
	cfg.CaseInsensitiveProperties = []string{}
	e := newEnv(t, cfg)
	w := e.worker("w1", "", map[string]string{"OSFamily": "Linux"})
	w.sync(idleState())
	e.pastGrace()
	w.sync(idleState())
	d := e.upload(actionOpts{actionPlatform: map[string]string{"OSFamily": "linux"}})
	st := e.executeErr(codes.FailedPrecondition, executeRequest("", d, 0))
	if !strings.Contains(st.Message(), "OSFamily") {
		t.Fatalf("error %q does not name the unmatched property", st.Message())
	}
}

// Other properties stay case-sensitive by default.
func TestOtherPropertiesStayCaseSensitive(t *testing.T) {
	e := newEnv(t, testConfig())
	w := e.worker("w1", "", map[string]string{"pool": "Big"})
	w.sync(idleState())
	e.pastGrace()
	w.sync(idleState())
	d := e.upload(actionOpts{actionPlatform: map[string]string{"pool": "big"}})
	e.executeErr(codes.FailedPrecondition, executeRequest("", d, 0))
}
