// Package limits describes the resource limits an action may ask for
// (cpu-limit, memory-limit, pids-limit) in one table, Table: each entry
// says how the value is read and written (with package platform's
// quantities), where it sits in Limits, and which cgroup v1 and v2 files
// hold it. Resolving an action's limits against a runner's defaults and
// maxima, validating a policy, the refusal messages and writing a cgroup
// all go through the table, so adding a limit is one entry.
package limits
