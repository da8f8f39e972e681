package scheduler

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Handler serves the admin API as JSON over HTTP, and Prometheus metrics
// at /metrics:
//
//	GET    /api/queues
//	GET    /api/operations?invocation=ID&stage=QUEUED|EXECUTING|COMPLETED
//	GET    /api/operations/{name}
//	POST   /api/operations/{name}/kill
//	GET    /api/workers
//	GET    /api/drains
//	POST   /api/drains     body: {"worker_id_pattern": {"hostname": "h1"}}
//	DELETE /api/drains     body: as for POST
//
// Mount it on the admin listener only: it can kill operations.
func (s *Scheduler) Handler() http.Handler {
	a := s.Admin()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/queues", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, a.Queues())
	})
	mux.HandleFunc("GET /api/operations", func(w http.ResponseWriter, r *http.Request) {
		ops := a.Operations(r.URL.Query().Get("invocation"), r.URL.Query().Get("stage"))
		if ops == nil {
			ops = []OperationInfo{}
		}
		writeJSON(w, http.StatusOK, ops)
	})
	mux.HandleFunc("GET /api/operations/{name}", func(w http.ResponseWriter, r *http.Request) {
		op, ok := a.Operation(r.PathValue("name"))
		if !ok {
			writeError(w, http.StatusNotFound, "operation %q not found", r.PathValue("name"))
			return
		}
		writeJSON(w, http.StatusOK, op)
	})
	mux.HandleFunc("POST /api/operations/{name}/kill", func(w http.ResponseWriter, r *http.Request) {
		if !a.Kill(r.PathValue("name")) {
			writeError(w, http.StatusNotFound, "operation %q not found or already finished", r.PathValue("name"))
			return
		}
		writeJSON(w, http.StatusOK, map[string]bool{"killed": true})
	})
	mux.HandleFunc("GET /api/workers", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, a.Workers())
	})
	mux.HandleFunc("GET /api/drains", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, a.Drains())
	})
	mux.HandleFunc("POST /api/drains", func(w http.ResponseWriter, r *http.Request) {
		if p, ok := readDrain(w, r); ok {
			a.AddDrain(p)
			writeJSON(w, http.StatusOK, a.Drains())
		}
	})
	mux.HandleFunc("DELETE /api/drains", func(w http.ResponseWriter, r *http.Request) {
		if p, ok := readDrain(w, r); ok {
			if !a.RemoveDrain(p) {
				writeError(w, http.StatusNotFound, "no such drain")
				return
			}
			writeJSON(w, http.StatusOK, a.Drains())
		}
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metricRegistry, promhttp.HandlerOpts{}))
	return mux
}

type drainRequest struct {
	WorkerIDPattern map[string]string `json:"worker_id_pattern"`
}

func readDrain(w http.ResponseWriter, r *http.Request) (map[string]string, bool) {
	var req drainRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "bad drain request: %v", err)
		return nil, false
	}
	if len(req.WorkerIDPattern) == 0 {
		// An empty pattern would drain every worker; make that explicit
		// rather than an accident of a malformed body.
		writeError(w, http.StatusBadRequest, "worker_id_pattern must name at least one label")
		return nil, false
	}
	return req.WorkerIDPattern, true
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, code int, format string, args ...any) {
	writeJSON(w, code, map[string]string{"error": fmt.Sprintf(format, args...)})
}
