package scheduler

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
)

func httpDo(t *testing.T, h http.Handler, method, path, body string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	data, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(data)
}

func decode[T any](t *testing.T, body string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
	return v
}

func TestAdminAPI(t *testing.T) {
	e := newEnv(t, testConfig())
	h := e.s.Handler()
	w := e.worker("w1", "", linux)
	w.sync(idleState())
	ds := e.uploadN(3, "admin", actionOpts{actionPlatform: linux})
	running := e.execute("build-a", "", ds[0], 0)
	assigned(w.sync(idleState()))
	queued := e.execute("build-b", "", ds[1], 0)
	e.execute("build-b", "", ds[2], 0)

	code, body := httpDo(t, h, "GET", "/api/queues", "")
	queues := decode[[]QueueInfo](t, body)
	if code != 200 || len(queues) != 1 || queues[0].Queued != 2 || queues[0].Executing != 1 || queues[0].Workers != 1 {
		t.Fatalf("queues: %d %s", code, body)
	}

	_, body = httpDo(t, h, "GET", "/api/operations?invocation=build-b", "")
	if ops := decode[[]OperationInfo](t, body); len(ops) != 2 {
		t.Fatalf("operations of build-b: %s", body)
	}
	_, body = httpDo(t, h, "GET", "/api/operations?stage=EXECUTING", "")
	if ops := decode[[]OperationInfo](t, body); len(ops) != 1 || ops[0].Name != running.name || ops[0].Worker == "" {
		t.Fatalf("executing operations: %s", body)
	}
	code, body = httpDo(t, h, "GET", "/api/operations/"+queued.name, "")
	if op := decode[OperationInfo](t, body); code != 200 || op.Stage != "QUEUED" {
		t.Fatalf("get operation: %d %s", code, body)
	}
	if code, _ := httpDo(t, h, "GET", "/api/operations/nope", ""); code != 404 {
		t.Fatalf("unknown operation: %d, want 404", code)
	}

	// Killing the running operation fails it and tells the worker to stop.
	if code, body := httpDo(t, h, "POST", "/api/operations/"+running.name+"/kill", ""); code != 200 {
		t.Fatalf("kill: %d %s", code, body)
	}
	if c := codes.Code(e.responseOf(running).GetStatus().GetCode()); c != codes.Canceled {
		t.Fatalf("killed operation has status %s, want CANCELLED", c)
	}
	if ex := assigned(w.sync(runningState(ds[0].Proto()))); ex != nil {
		t.Fatal("worker told to continue a killed operation")
	}
	if code, _ := httpDo(t, h, "POST", "/api/operations/"+running.name+"/kill", ""); code != 404 {
		t.Fatalf("second kill: %d, want 404", code)
	}

	_, body = httpDo(t, h, "GET", "/api/workers", "")
	if ws := decode[[]WorkerInfo](t, body); len(ws) != 1 || ws[0].ID["hostname"] != "w1" {
		t.Fatalf("workers: %s", body)
	}

	if code, _ := httpDo(t, h, "POST", "/api/drains", `{"worker_id_pattern":{}}`); code != 400 {
		t.Fatalf("empty drain pattern accepted: %d", code)
	}
	if code, body := httpDo(t, h, "POST", "/api/drains", `{"worker_id_pattern":{"hostname":"w1"}}`); code != 200 {
		t.Fatalf("add drain: %d %s", code, body)
	}
	if assigned(w.sync(idleState())) != nil {
		t.Fatal("drain added over HTTP not applied")
	}
	_, body = httpDo(t, h, "GET", "/api/workers", "")
	if ws := decode[[]WorkerInfo](t, body); !ws[0].Drained {
		t.Fatalf("worker not shown drained: %s", body)
	}
	if code, _ := httpDo(t, h, "DELETE", "/api/drains", `{"worker_id_pattern":{"hostname":"w1"}}`); code != 200 {
		t.Fatalf("remove drain: %d", code)
	}
	if code, _ := httpDo(t, h, "DELETE", "/api/drains", `{"worker_id_pattern":{"hostname":"w1"}}`); code != 404 {
		t.Fatalf("remove missing drain: %d, want 404", code)
	}

	_, body = httpDo(t, h, "GET", "/metrics", "")
	for _, name := range []string{"sandbarn_scheduler_queued_operations", "sandbarn_scheduler_dispatches_total",
		"sandbarn_scheduler_queued_duration_seconds", "sandbarn_scheduler_completed_total"} {
		if !strings.Contains(body, name) {
			t.Errorf("metrics lack %s", name)
		}
	}
}
