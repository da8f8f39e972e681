package scheduler

import (
	"fmt"
	"strings"
	"testing"
	"time"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"

	"github.com/sandbarn/sandbarn/proto/remoteworker"
	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
)

var linux = map[string]string{"OSFamily": "Linux"}

func (e *env) uploadN(n int, tag string, o actionOpts) []digest.Digest {
	var out []digest.Digest
	for i := 0; i < n; i++ {
		o.args = []string{"/bin/echo", tag, fmt.Sprint(i)}
		out = append(out, e.upload(o))
	}
	return out
}

// runAll has w take work until none is left, completing each action, and
// returns the digests in dispatch order.
func (w *testWorker) runAll() []string {
	var order []string
	state := idleState()
	for {
		ex := assigned(w.sync(state))
		if ex == nil {
			return order
		}
		order = append(order, ex.ActionDigest.Hash)
		state = completedState(ex.ActionDigest, 0)
	}
}

func TestFairnessBetweenInvocations(t *testing.T) {
	e := newEnv(t, testConfig())
	w := e.worker("w1", "", linux)
	w.sync(idleState())
	flood := e.uploadN(200, "flood", actionOpts{actionPlatform: linux})
	small := e.uploadN(3, "small", actionOpts{actionPlatform: linux})
	for _, d := range flood {
		e.execute("flood", "", d, 0)
	}
	for _, d := range small {
		e.execute("small", "", d, 0)
	}
	order := w.runAll()
	if len(order) != 203 {
		t.Fatalf("ran %d actions, want 203", len(order))
	}
	// Each of the small build's actions must start within two dispatches of
	// the previous one: invocations take turns.
	for i, d := range small {
		pos := indexOf(order, d.Hash)
		if pos > 2*(i+1) {
			t.Errorf("small action %d dispatched at position %d despite the flood", i, pos)
		}
	}
	// Within an invocation, arrival order holds.
	last := -1
	for _, d := range flood {
		pos := indexOf(order, d.Hash)
		if pos < last {
			t.Fatalf("flood actions ran out of order")
		}
		last = pos
	}
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

func TestPriorities(t *testing.T) {
	e := newEnv(t, testConfig())
	w := e.worker("w1", "", linux)
	w.sync(idleState())
	ds := e.uploadN(3, "prio", actionOpts{actionPlatform: linux})
	e.execute("a", "", ds[0], 10)
	e.execute("a", "", ds[1], -5)
	e.execute("b", "", ds[2], 0)
	order := w.runAll()
	want := []string{ds[1].Hash, ds[2].Hash, ds[0].Hash}
	if strings.Join(order, ",") != strings.Join(want, ",") {
		t.Fatalf("dispatch order %v, want %v (lowest priority value first)", order, want)
	}
}

func TestMergingIdenticalActions(t *testing.T) {
	e := newEnv(t, testConfig())
	e.worker("w1", "", linux).sync(idleState())
	d := e.upload(actionOpts{actionPlatform: linux})
	op1 := e.execute("a", "", d, 0)
	op2 := e.execute("b", "", d, 0)
	if op1 != op2 {
		t.Fatalf("identical actions in flight were not merged: %s vs %s", op1.name, op2.name)
	}
	if got := op1.invocations(); len(got) != 2 {
		t.Errorf("merged operation lists invocations %v, want both", got)
	}
	// The admin API lists it once, under either invocation.
	for _, inv := range []string{"a", "b"} {
		if ops := e.s.Admin().Operations(inv, ""); len(ops) != 1 || ops[0].Name != op1.name {
			t.Errorf("admin list for invocation %s: %v, want the merged operation once", inv, ops)
		}
	}
	nc := e.upload(actionOpts{actionPlatform: linux, doNotCache: true})
	op3 := e.execute("a", "", nc, 0)
	op4 := e.execute("a", "", nc, 0)
	if op3 == op4 {
		t.Fatal("do_not_cache actions were merged")
	}
	// A different instance name is a different action.
	if e.execute("a", "other", d, 0) == op1 {
		t.Fatal("actions of different instance names were merged")
	}
}

func TestWorkerLossRequeuesThenFailsUnavailable(t *testing.T) {
	cfg := testConfig()
	cfg.MaximumAttempts = 2
	e := newEnv(t, cfg)
	w1 := e.worker("w1", "", linux)
	w2 := e.worker("w2", "", linux)
	w1.sync(idleState())
	d := e.upload(actionOpts{actionPlatform: linux})
	op := e.execute("a", "", d, 0)
	if ex := assigned(w1.sync(idleState())); ex == nil {
		t.Fatal("w1 got no work")
	}
	w1.sync(runningState(d.Proto()))

	e.clk.Advance(e.s.cfg.WorkerLostTimeout + time.Second)
	w2.sync(idleState()) // w2 registers now, so it is not lost
	e.s.sweep()
	if got := e.stageOf(op); got != remoteexecution.ExecutionStage_QUEUED {
		t.Fatalf("after losing w1 the operation is %s, want QUEUED", got)
	}
	if ex := assigned(w2.sync(idleState())); ex == nil || ex.ActionDigest.Hash != d.Hash {
		t.Fatal("requeued action did not reach w2")
	}
	e.clk.Advance(e.s.cfg.WorkerLostTimeout + time.Second)
	e.s.sweep()
	resp := e.responseOf(op)
	if codes.Code(resp.GetStatus().GetCode()) != codes.Unavailable {
		t.Fatalf("after %d lost attempts got %v, want UNAVAILABLE", cfg.MaximumAttempts, resp.GetStatus())
	}
	if !strings.Contains(resp.Status.Message, "w2") {
		t.Errorf("UNAVAILABLE message %q does not name the worker", resp.Status.Message)
	}
}

func TestCrashLoopFailsInternal(t *testing.T) {
	cfg := testConfig()
	cfg.CrashLoopLimit = 3
	cfg.MaximumAttempts = 100
	e := newEnv(t, cfg)
	w := e.worker("w1", "", linux)
	w.sync(idleState())
	d := e.upload(actionOpts{actionPlatform: linux})
	op := e.execute("a", "", d, 0)
	for i := 0; i < cfg.CrashLoopLimit; i++ {
		// The worker takes the action, reports it running, then comes back
		// idle: it restarted while running it. The action is requeued and,
		// being the only one, handed straight back.
		if ex := assigned(w.sync(idleState())); ex == nil {
			t.Fatalf("crash %d: action not requeued", i)
		}
		w.sync(runningState(d.Proto()))
	}
	w.sync(idleState())
	resp := e.responseOf(op)
	if codes.Code(resp.GetStatus().GetCode()) != codes.Internal {
		t.Fatalf("crash-looping action got %v, want INTERNAL", resp.GetStatus())
	}
	if op.attempts != cfg.CrashLoopLimit {
		t.Errorf("action started %d times, want %d", op.attempts, cfg.CrashLoopLimit)
	}
}

func TestLostAssignmentIsOfferedAgain(t *testing.T) {
	e := newEnv(t, testConfig())
	w := e.worker("w1", "", linux)
	w.sync(idleState())
	d := e.upload(actionOpts{actionPlatform: linux})
	op := e.execute("a", "", d, 0)
	first := assigned(w.sync(idleState()))
	// The answer never arrived; the worker asks again while idle.
	again := assigned(w.sync(idleState()))
	if first == nil || again == nil || again.ActionDigest.Hash != d.Hash {
		t.Fatal("assignment was not offered again")
	}
	w.sync(runningState(d.Proto()))
	next := w.sync(completedState(d.Proto(), 3))
	if assigned(next) != nil {
		t.Fatal("worker got work that does not exist")
	}
	// A re-sent completion is accepted without effect.
	w.sync(completedState(d.Proto(), 99))
	if got := e.responseOf(op).GetResult().GetExitCode(); got != 3 {
		t.Fatalf("exit code %d, want the first completion's 3", got)
	}
}

func TestDrains(t *testing.T) {
	e := newEnv(t, testConfig())
	w1 := e.worker("w1", "", linux)
	w2 := e.worker("w2", "", linux)
	w1.sync(idleState())
	w2.sync(idleState())
	e.s.Admin().AddDrain(map[string]string{"hostname": "w1"})
	ds := e.uploadN(2, "drain", actionOpts{actionPlatform: linux})
	e.execute("a", "", ds[0], 0)
	if assigned(w1.sync(idleState())) != nil {
		t.Fatal("drained worker got work")
	}
	if assigned(w2.sync(idleState())) == nil {
		t.Fatal("undrained worker got no work")
	}
	if !e.s.Admin().RemoveDrain(map[string]string{"hostname": "w1"}) {
		t.Fatal("drain not found")
	}
	e.execute("a", "", ds[1], 0)
	if assigned(w1.sync(idleState())) == nil {
		t.Fatal("worker got no work after its drain was removed")
	}
}

func TestDrainFinishesRunningAction(t *testing.T) {
	e := newEnv(t, testConfig())
	w := e.worker("w1", "", linux)
	w.sync(idleState())
	d := e.upload(actionOpts{actionPlatform: linux})
	op := e.execute("a", "", d, 0)
	assigned(w.sync(idleState()))
	e.s.Admin().AddDrain(map[string]string{"slot": "0"})
	if assigned(w.sync(runningState(d.Proto()))) == nil {
		t.Fatal("drain interrupted a running action")
	}
	w.sync(completedState(d.Proto(), 0))
	if e.stageOf(op) != remoteexecution.ExecutionStage_COMPLETED {
		t.Fatal("drained worker's result was not accepted")
	}
}

func TestTimeouts(t *testing.T) {
	cfg := testConfig()
	cfg.DefaultExecutionTimeout = time.Minute
	cfg.MaximumExecutionTimeout = time.Hour
	e := newEnv(t, cfg)
	w := e.worker("w1", "", linux)
	w.sync(idleState())
	tooLong := e.upload(actionOpts{actionPlatform: linux, timeout: 2 * time.Hour})
	e.executeErr(codes.InvalidArgument, executeRequest("", tooLong, 0))

	none := e.upload(actionOpts{actionPlatform: linux})
	e.execute("a", "", none, 0)
	ex := assigned(w.sync(idleState()))
	if got := ex.GetAction().GetTimeout().AsDuration(); got != time.Minute {
		t.Fatalf("worker's action has timeout %s, want the default 1m", got)
	}
	w.sync(completedState(ex.ActionDigest, 0))
	own := e.upload(actionOpts{actionPlatform: linux, timeout: 5 * time.Minute})
	e.execute("a", "", own, 0)
	if got := assigned(w.sync(idleState())).GetAction().GetTimeout().AsDuration(); got != 5*time.Minute {
		t.Fatalf("worker's action has timeout %s, want the client's 5m", got)
	}
}

func TestUnmatchableFailsAtOnceAfterGrace(t *testing.T) {
	e := newEnv(t, testConfig())
	e.worker("w1", "", map[string]string{"OSFamily": "Linux", "memory": "4GiB"}).sync(idleState())
	e.pastGrace()
	e.worker("w1", "", map[string]string{"OSFamily": "Linux", "memory": "4GiB"}).sync(idleState())

	windows := e.upload(actionOpts{actionPlatform: map[string]string{"OSFamily": "Windows"}})
	st := e.executeErr(codes.FailedPrecondition, executeRequest("", windows, 0))
	if !strings.Contains(st.Message(), "OSFamily") {
		t.Errorf("message %q does not name the property", st.Message())
	}
	big := e.upload(actionOpts{actionPlatform: map[string]string{"OSFamily": "Linux", "memory": "8GiB"}})
	st = e.executeErr(codes.FailedPrecondition, executeRequest("", big, 0))
	if !strings.Contains(st.Message(), "memory") {
		t.Errorf("message %q does not name the property", st.Message())
	}
	fits := e.upload(actionOpts{actionPlatform: map[string]string{"OSFamily": "Linux", "memory": "2GiB", "container-image": "docker://x"}})
	e.execute("a", "", fits, 0)
}

func TestUnmatchableWaitsDuringGraceThenFails(t *testing.T) {
	e := newEnv(t, testConfig())
	d := e.upload(actionOpts{actionPlatform: map[string]string{"OSFamily": "Solaris"}})
	op := e.execute("a", "", d, 0)
	if e.stageOf(op) != remoteexecution.ExecutionStage_QUEUED {
		t.Fatal("action not queued during the grace period")
	}
	e.clk.Advance(e.s.cfg.StartupGracePeriod / 2)
	e.s.sweep()
	if e.stageOf(op) != remoteexecution.ExecutionStage_QUEUED {
		t.Fatal("action failed before the grace period ended")
	}
	e.pastGrace()
	e.s.sweep()
	resp := e.responseOf(op)
	if codes.Code(resp.GetStatus().GetCode()) != codes.FailedPrecondition || !strings.Contains(resp.Status.Message, "instance") {
		t.Fatalf("got %v, want FAILED_PRECONDITION explaining that no worker serves it", resp.GetStatus())
	}
}

func TestLegacyCommandPlatform(t *testing.T) {
	e := newEnv(t, testConfig())
	e.worker("mac", "", map[string]string{"OSFamily": "Darwin"}).sync(idleState())
	w := e.worker("w1", "", linux)
	w.sync(idleState())
	props := map[string]string{"OSFamily": "Linux", "container-image": "docker://rbe@sha256:ab"}
	d := e.upload(actionOpts{commandPlatform: props})
	e.execute("bazel42", "", d, 0)
	ex := assigned(w.sync(idleState()))
	if ex == nil {
		t.Fatal("action with only Command.platform did not reach the Linux worker")
	}
	got := map[string]string{}
	for _, p := range ex.Action.GetPlatform().GetProperties() {
		got[p.Name] = p.Value
	}
	if got["OSFamily"] != "Linux" || got["container-image"] != props["container-image"] {
		t.Fatalf("worker's Action.platform is %v, want the Command's %v", got, props)
	}
}

func TestInstancePrefixLongestMatch(t *testing.T) {
	e := newEnv(t, testConfig())
	general := e.worker("general", "", linux)
	team := e.worker("team", "team", linux)
	general.sync(idleState())
	team.sync(idleState())
	d := e.upload(actionOpts{actionPlatform: linux})
	e.execute("a", "team/ci", d, 0)
	if assigned(general.sync(idleState())) != nil {
		t.Fatal("a shorter prefix got the action")
	}
	ex := assigned(team.sync(idleState()))
	if ex == nil || ex.InstanceNameSuffix != "ci" {
		t.Fatalf("team worker got %v, want the action with suffix \"ci\"", ex)
	}
}

func TestMissingBlobsListed(t *testing.T) {
	e := newEnv(t, testConfig())
	e.worker("w1", "", linux).sync(idleState())
	missingAction := digest.OfBytes("", []byte("nope"))
	st := e.executeErr(codes.FailedPrecondition, executeRequest("", missingAction, 0))
	checkMissing(t, st.Details(), missingAction)

	// An Action whose Command and input root were never uploaded.
	cmd := digest.OfBytes("", []byte("command"))
	root := digest.OfBytes("", []byte("root"))
	ad, err := storage.PutProto(t.Context(), e.cas, "", &remoteexecution.Action{CommandDigest: cmd.Proto(), InputRootDigest: root.Proto()})
	if err != nil {
		t.Fatal(err)
	}
	st = e.executeErr(codes.FailedPrecondition, executeRequest("", ad, 0))
	checkMissing(t, st.Details(), cmd, root)

	e.executeErr(codes.InvalidArgument, &remoteexecution.ExecuteRequest{ActionDigest: &remoteexecution.Digest{Hash: "xyz"}})
	e.executeErr(codes.InvalidArgument, &remoteexecution.ExecuteRequest{ActionDigest: ad.Proto(), DigestFunction: remoteexecution.DigestFunction_MD5})
}

// TestExecuteRefusesBadInstanceNames: instance names that spell one
// instance two ways, climb out of a prefix or hold a reserved segment
// never reach the CAS (the action below is not even stored).
func TestExecuteRefusesBadInstanceNames(t *testing.T) {
	e := newEnv(t, testConfig())
	ad := digest.OfBytes("", []byte("not stored"))
	for _, instance := range []string{"chroot/..", "a//b", "./a", "a/blobs", "/a", "a/"} {
		st := e.executeErr(codes.InvalidArgument, executeRequest(instance, ad, 0))
		if !strings.Contains(st.Message(), "instance name") {
			t.Errorf("instance %q: %q does not name the instance name", instance, st.Message())
		}
	}
}

func checkMissing(t *testing.T, details []any, want ...digest.Digest) {
	t.Helper()
	var subjects []string
	for _, d := range details {
		if pf, ok := d.(*errdetails.PreconditionFailure); ok {
			for _, v := range pf.Violations {
				if v.Type != "MISSING" {
					t.Errorf("violation type %q, want MISSING", v.Type)
				}
				subjects = append(subjects, v.Subject)
			}
		}
	}
	if len(subjects) != len(want) {
		t.Fatalf("violations %v, want %d", subjects, len(want))
	}
	for _, d := range want {
		if indexOf(subjects, fmt.Sprintf("blobs/%s/%d", d.Hash, d.Size)) < 0 {
			t.Errorf("violations %v do not list %s", subjects, d)
		}
	}
}

func TestActionCache(t *testing.T) {
	e := newEnv(t, testConfig())
	e.worker("w1", "", linux).sync(idleState())
	d := e.upload(actionOpts{actionPlatform: linux})
	if err := putResult(e, d, 7); err != nil {
		t.Fatal(err)
	}
	op := e.execute("a", "", d, 0)
	resp := e.responseOf(op)
	if !resp.GetCachedResult() || resp.GetResult().GetExitCode() != 7 {
		t.Fatalf("cache hit not served: %v", resp)
	}
	req := executeRequest("", d, 0)
	req.SkipCacheLookup = true
	op2, _, err := e.s.execute(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if e.stageOf(op2) != remoteexecution.ExecutionStage_QUEUED {
		t.Fatal("skip_cache_lookup still served from the cache")
	}
}

func putResult(e *env, d digest.Digest, exitCode int32) error {
	data, err := protoMarshal(&remoteexecution.ActionResult{ExitCode: exitCode})
	if err != nil {
		return err
	}
	return storage.PutBytes(e.t.(*testing.T).Context(), e.ac, d, data)
}

func TestPreferBeingIdle(t *testing.T) {
	e := newEnv(t, testConfig())
	w := e.worker("w1", "", linux)
	w.sync(idleState())
	d := e.upload(actionOpts{actionPlatform: linux})
	e.execute("a", "", d, 0)
	resp, err := e.synchronize(t.Context(), &remoteworker.SynchronizeRequest{
		WorkerId: w.id, Platform: w.platform, CurrentState: idleState(), PreferBeingIdle: true})
	if err != nil {
		t.Fatal(err)
	}
	if assigned(resp) != nil {
		t.Fatal("a worker preferring to be idle got work")
	}
	if assigned(w.sync(idleState())) == nil {
		t.Fatal("the action was lost")
	}
}

func TestEmptyInputRootNeedNotBeUploaded(t *testing.T) {
	e := newEnv(t, testConfig())
	e.worker("w1", "", linux).sync(idleState())
	cd, err := storage.PutProto(t.Context(), e.cas, "", &remoteexecution.Command{Arguments: []string{"true"}})
	if err != nil {
		t.Fatal(err)
	}
	empty := digest.OfBytes("", nil)
	ad, err := storage.PutProto(t.Context(), e.cas, "", &remoteexecution.Action{CommandDigest: cd.Proto(), InputRootDigest: empty.Proto(), Platform: platformProto(linux)})
	if err != nil {
		t.Fatal(err)
	}
	e.execute("a", "", ad, 0)
}

// A cached result whose outputs the CAS no longer holds is a miss: the
// action runs again rather than the client getting blobs it cannot fetch.
func TestActionCacheHitNeedsItsBlobs(t *testing.T) {
	e := newEnv(t, testConfig())
	e.worker("w1", "", linux).sync(idleState())
	d := e.upload(actionOpts{actionPlatform: linux})
	gone := digest.OfBytes("", []byte("evicted output"))
	data, err := protoMarshal(&remoteexecution.ActionResult{OutputFiles: []*remoteexecution.OutputFile{{Path: "out", Digest: gone.Proto()}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := storage.PutBytes(t.Context(), e.ac, d, data); err != nil {
		t.Fatal(err)
	}
	op := e.execute("a", "", d, 0)
	if e.stageOf(op) == remoteexecution.ExecutionStage_COMPLETED {
		t.Fatal("a cached result with a missing output blob was served")
	}
	if err := storage.PutBytes(t.Context(), e.cas, gone, []byte("evicted output")); err != nil {
		t.Fatal(err)
	}
	if resp := e.responseOf(e.execute("b", "", d, 0)); !resp.GetCachedResult() {
		t.Fatalf("complete cached result not served: %v", resp)
	}
}

// Queues that stay idle are dropped, so client-chosen instance names and
// property values cannot make the scheduler grow without bound; a new
// action for the same platform gets a fresh queue.
func TestIdleQueuesExpire(t *testing.T) {
	e := newEnv(t, testConfig())
	w := e.worker("w1", "", linux)
	w.sync(idleState())
	d := e.upload(actionOpts{actionPlatform: linux})
	e.execute("a", "", d, 0)
	if got := w.runAll(); len(got) != 1 {
		t.Fatalf("ran %v", got)
	}
	if len(e.s.Admin().Queues()) != 1 {
		t.Fatalf("queues %v", e.s.Admin().Queues())
	}
	e.s.sweep()
	e.clk.Advance(e.s.cfg.CompletedRetention + time.Second)
	e.s.sweep()
	if q := e.s.Admin().Queues(); len(q) != 0 {
		t.Fatalf("idle queue kept: %v", q)
	}
	w.sync(idleState()) // the worker is back after the pause
	op := e.execute("b", "", e.upload(actionOpts{actionPlatform: linux, args: []string{"again"}}), 0)
	if got := w.runAll(); len(got) != 1 || e.stageOf(op) != remoteexecution.ExecutionStage_COMPLETED {
		t.Fatalf("action after expiry: ran %v, stage %v", got, e.stageOf(op))
	}
}
