// Package limits turns the sandbox platform properties cpu-limit,
// memory-limit and pids-limit into numbers, and applies a runner's
// defaults and maxima to them. It knows nothing about cgroups, so the
// same rules hold whichever cgroup version enforces them.
package limits
