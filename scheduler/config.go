package scheduler

import (
	"fmt"
	"time"

	"github.com/sandbarn/sandbarn/platform"
)

// Config holds the scheduler's tunables. Zero values are replaced by the
// defaults in DefaultConfig.
type Config struct {
	// PropertyRules maps a platform property name to platform.RuleExact,
	// RuleMinimum or RuleRunner. Names not listed use RuleExact.
	PropertyRules map[string]string
	// CaseInsensitiveProperties names the properties whose values match
	// regardless of case, for both the exact and the routing key: clients
	// disagree on spelling (BuildStream sends OSFamily=linux, Bazel's RBE
	// configurations Linux). Nil means platform.DefaultCaseInsensitive;
	// an empty non-nil list makes every value case-sensitive.
	CaseInsensitiveProperties []string
	// DefaultExecutionTimeout is given to actions without a timeout.
	DefaultExecutionTimeout time.Duration
	// MaximumExecutionTimeout rejects actions asking for more.
	MaximumExecutionTimeout time.Duration
	// IdleSynchronizeTimeout is how long an idle worker's Synchronize is held
	// open waiting for work.
	IdleSynchronizeTimeout time.Duration
	// ExecutingSynchronizeInterval is how often a busy worker is asked to
	// report; it must be well below WorkerLostTimeout.
	ExecutingSynchronizeInterval time.Duration
	// WorkerLostTimeout declares a worker lost when it has not synchronized
	// for this long (and is not waiting in a Synchronize call).
	WorkerLostTimeout time.Duration
	// MaximumAttempts bounds how often an action is started on workers that
	// are then lost; the last loss fails it with UNAVAILABLE.
	MaximumAttempts int
	// CrashLoopLimit bounds how often a worker may restart while running an
	// action (it comes back idle having forgotten it) before the action is
	// failed with INTERNAL.
	CrashLoopLimit int
	// StartupGracePeriod lets actions queue without a matching worker while
	// workers are still registering, and is how long a platform queue may
	// go without any matching worker before its actions fail.
	StartupGracePeriod time.Duration
	// KeepAliveInterval is the longest gap between two Operation messages
	// on an Execute or WaitExecution stream.
	KeepAliveInterval time.Duration
	// CompletedRetention keeps finished operations for WaitExecution and
	// the admin API.
	CompletedRetention time.Duration
	// SweepInterval is how often lost workers and expired operations are
	// looked for.
	SweepInterval time.Duration
	// PriorityMinimum and PriorityMaximum bound ExecutionPolicy.priority;
	// values outside are clamped. Lower numbers run first, as in REAPI.
	PriorityMinimum int32
	PriorityMaximum int32
	// MaximumMessageSize bounds the Action and Command read from the CAS.
	MaximumMessageSize int64
	// StreamWorkers is the goroutine pool of the gRPC servers carrying the
	// scheduler's services (see ServerOptions).
	StreamWorkers int

	// rules are PropertyRules and CaseInsensitiveProperties checked,
	// built by withDefaults.
	rules platform.Rules
}

// DefaultConfig returns the values used for unset fields.
func DefaultConfig() Config {
	return Config{
		DefaultExecutionTimeout:      15 * time.Minute,
		MaximumExecutionTimeout:      time.Hour,
		IdleSynchronizeTimeout:       30 * time.Second,
		ExecutingSynchronizeInterval: 10 * time.Second,
		WorkerLostTimeout:            time.Minute,
		MaximumAttempts:              3,
		CrashLoopLimit:               3,
		StartupGracePeriod:           30 * time.Second,
		KeepAliveInterval:            30 * time.Second,
		CompletedRetention:           time.Minute,
		SweepInterval:                time.Second,
		PriorityMinimum:              -1000,
		PriorityMaximum:              1000,
		MaximumMessageSize:           16 << 20,
		StreamWorkers:                1024,
	}
}

// withDefaults fills unset fields and checks the result.
func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig()
	setDuration := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	setDuration(&c.DefaultExecutionTimeout, d.DefaultExecutionTimeout)
	setDuration(&c.MaximumExecutionTimeout, d.MaximumExecutionTimeout)
	setDuration(&c.IdleSynchronizeTimeout, d.IdleSynchronizeTimeout)
	setDuration(&c.ExecutingSynchronizeInterval, d.ExecutingSynchronizeInterval)
	setDuration(&c.WorkerLostTimeout, d.WorkerLostTimeout)
	setDuration(&c.StartupGracePeriod, d.StartupGracePeriod)
	setDuration(&c.KeepAliveInterval, d.KeepAliveInterval)
	setDuration(&c.CompletedRetention, d.CompletedRetention)
	setDuration(&c.SweepInterval, d.SweepInterval)
	if c.MaximumAttempts == 0 {
		c.MaximumAttempts = d.MaximumAttempts
	}
	if c.CrashLoopLimit == 0 {
		c.CrashLoopLimit = d.CrashLoopLimit
	}
	if c.PriorityMinimum == 0 && c.PriorityMaximum == 0 {
		c.PriorityMinimum, c.PriorityMaximum = d.PriorityMinimum, d.PriorityMaximum
	}
	if c.MaximumMessageSize == 0 {
		c.MaximumMessageSize = d.MaximumMessageSize
	}
	if c.StreamWorkers == 0 {
		c.StreamWorkers = d.StreamWorkers
	}
	rules, err := platform.NewRules(c.PropertyRules, c.CaseInsensitiveProperties)
	if err != nil {
		return c, err
	}
	c.rules = rules
	if c.DefaultExecutionTimeout > c.MaximumExecutionTimeout {
		return c, fmt.Errorf("default execution timeout %s exceeds the maximum %s", c.DefaultExecutionTimeout, c.MaximumExecutionTimeout)
	}
	if c.ExecutingSynchronizeInterval >= c.WorkerLostTimeout {
		return c, fmt.Errorf("executing synchronize interval %s must be below the worker lost timeout %s", c.ExecutingSynchronizeInterval, c.WorkerLostTimeout)
	}
	if c.KeepAliveInterval > time.Minute {
		// REAPI clients give up on a stream silent for longer.
		return c, fmt.Errorf("keep-alive interval %s exceeds one minute", c.KeepAliveInterval)
	}
	if c.PriorityMinimum > c.PriorityMaximum {
		return c, fmt.Errorf("priority range [%d, %d] is empty", c.PriorityMinimum, c.PriorityMaximum)
	}
	return c, nil
}
