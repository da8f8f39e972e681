package scheduler

import "time"

// The admin API's views of the scheduler's state, shaped for JSON and
// for the web UI that will sit on top of it.

// QueueInfo describes one platform queue for the admin API.
type QueueInfo struct {
	Name       string            `json:"name"`
	Instance   string            `json:"instance_name"`
	Properties map[string]string `json:"properties"`
	Queued     int               `json:"queued"`
	Executing  int               `json:"executing"`
	Workers    int               `json:"workers"`
}

// OperationInfo describes one operation for the admin API.
type OperationInfo struct {
	Name         string    `json:"name"`
	ActionDigest string    `json:"action_digest"`
	Instance     string    `json:"instance_name"`
	Stage        string    `json:"stage"`
	Queue        string    `json:"queue,omitempty"`
	Priority     int32     `json:"priority"`
	Invocations  []string  `json:"invocations"`
	Worker       string    `json:"worker,omitempty"`
	Attempts     int       `json:"attempts"`
	Crashes      int       `json:"crashes"`
	QueuedAt     time.Time `json:"queued_at"`
	StartedAt    time.Time `json:"started_at,omitzero"`
	CompletedAt  time.Time `json:"completed_at,omitzero"`
	Status       string    `json:"status,omitempty"`
	Message      string    `json:"message,omitempty"`
	CachedResult bool      `json:"cached_result,omitempty"`
}

// WorkerInfo describes one worker slot for the admin API.
type WorkerInfo struct {
	ID             map[string]string   `json:"id"`
	InstancePrefix string              `json:"instance_name_prefix"`
	Platform       map[string][]string `json:"platform"`
	LastSeen       time.Time           `json:"last_seen"`
	Drained        bool                `json:"drained"`
	Operation      string              `json:"operation,omitempty"`
}
