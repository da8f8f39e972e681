package main

import (
	"errors"
	"time"

	"github.com/sandbarn/sandbarn/cmd/internal/configfile"
	"github.com/sandbarn/sandbarn/scheduler"
)

// config is bb_scheduler's configuration file (Jsonnet, strict). Unset
// durations and counts take the scheduler's defaults.
type config struct {
	// ClientGRPCListenAddress serves Execution and Capabilities to build
	// clients, plus the storage services forwarded to Storage when
	// ProxyStorage is set.
	ClientGRPCListenAddress string `json:"clientGrpcListenAddress"`
	// WorkerGRPCListenAddress serves buildbarn.remoteworker.OperationQueue.
	WorkerGRPCListenAddress string `json:"workerGrpcListenAddress"`
	// AdminHTTPListenAddress serves the admin JSON API and /metrics; empty
	// disables it. Keep it on a private address: it can kill operations.
	AdminHTTPListenAddress string `json:"adminHttpListenAddress"`
	// MaxMessageSizeBytes bounds gRPC messages; 0 means 16 MiB.
	MaxMessageSizeBytes int           `json:"maxMessageSizeBytes"`
	Storage             storageConfig `json:"storage"`

	// The fields from here to StreamWorkers set the scheduler.Config
	// fields of the same name (see there); durations are strings such as
	// "30s". MaxMessageSizeBytes above also sets MaximumMessageSize.
	PropertyRules map[string]string `json:"propertyRules"`
	// CaseInsensitiveProperties unset means OSFamily and ISA; [] makes
	// every value case-sensitive.
	CaseInsensitiveProperties    []string            `json:"caseInsensitiveProperties"`
	DefaultExecutionTimeout      configfile.Duration `json:"defaultExecutionTimeout"`
	MaximumExecutionTimeout      configfile.Duration `json:"maximumExecutionTimeout"`
	IdleSynchronizeTimeout       configfile.Duration `json:"idleSynchronizeTimeout"`
	ExecutingSynchronizeInterval configfile.Duration `json:"executingSynchronizeInterval"`
	WorkerLostTimeout            configfile.Duration `json:"workerLostTimeout"`
	MaximumAttempts              int                 `json:"maximumAttempts"`
	CrashLoopLimit               int                 `json:"crashLoopLimit"`
	StartupGracePeriod           configfile.Duration `json:"startupGracePeriod"`
	KeepAliveInterval            configfile.Duration `json:"keepAliveInterval"`
	CompletedRetention           configfile.Duration `json:"completedRetention"`
	SweepInterval                configfile.Duration `json:"sweepInterval"`
	PriorityMinimum              int32               `json:"priorityMinimum"`
	PriorityMaximum              int32               `json:"priorityMaximum"`
	// StreamWorkers sizes the gRPC servers' goroutine pool; make it larger
	// than the worker slots plus the clients waiting at once. 0 means 1024.
	StreamWorkers int `json:"streamWorkers"`
	// GCPercent and MemoryLimitBytes set the garbage collector (see
	// scheduler.GCSettings) unless GOGC or GOMEMLIMIT are set. 0 means 400
	// and no limit.
	GCPercent        int   `json:"gcPercent"`
	MemoryLimitBytes int64 `json:"memoryLimitBytes"`
}

// storageConfig points at the CAS and Action Cache (bb_storage or any
// REAPI storage server).
type storageConfig struct {
	Address string `json:"address"`
	// InstanceNamePrefix is put before the clients' instance names when
	// talking to the storage server.
	InstanceNamePrefix string `json:"instanceNamePrefix"`
	// MaxBatchBytes is the largest blob fetched with BatchReadBlobs; larger
	// ones use ByteStream. 0 means 3 MiB.
	MaxBatchBytes int64 `json:"maxBatchBytes"`
	// ProxyStorage also serves CAS, ByteStream and ActionCache on the client
	// address, forwarded to Address, so clients need only one endpoint.
	ProxyStorage bool `json:"proxyStorage"`
}

func (c *config) validate() error {
	if c.ClientGRPCListenAddress == "" || c.WorkerGRPCListenAddress == "" {
		return errors.New("clientGrpcListenAddress and workerGrpcListenAddress are required")
	}
	if c.Storage.Address == "" {
		return errors.New("storage.address is required")
	}
	if c.MaxMessageSizeBytes == 0 {
		c.MaxMessageSizeBytes = 16 << 20
	}
	if c.Storage.MaxBatchBytes == 0 {
		c.Storage.MaxBatchBytes = 3 << 20
	}
	return nil
}

// schedulerConfig converts the file's fields to scheduler.Config.
func (c *config) schedulerConfig() scheduler.Config {
	return scheduler.Config{
		PropertyRules:                c.PropertyRules,
		CaseInsensitiveProperties:    c.CaseInsensitiveProperties,
		DefaultExecutionTimeout:      time.Duration(c.DefaultExecutionTimeout),
		MaximumExecutionTimeout:      time.Duration(c.MaximumExecutionTimeout),
		IdleSynchronizeTimeout:       time.Duration(c.IdleSynchronizeTimeout),
		ExecutingSynchronizeInterval: time.Duration(c.ExecutingSynchronizeInterval),
		WorkerLostTimeout:            time.Duration(c.WorkerLostTimeout),
		MaximumAttempts:              c.MaximumAttempts,
		CrashLoopLimit:               c.CrashLoopLimit,
		StartupGracePeriod:           time.Duration(c.StartupGracePeriod),
		KeepAliveInterval:            time.Duration(c.KeepAliveInterval),
		CompletedRetention:           time.Duration(c.CompletedRetention),
		SweepInterval:                time.Duration(c.SweepInterval),
		PriorityMinimum:              c.PriorityMinimum,
		PriorityMaximum:              c.PriorityMaximum,
		MaximumMessageSize:           int64(c.MaxMessageSizeBytes),
		StreamWorkers:                c.StreamWorkers,
	}
}
