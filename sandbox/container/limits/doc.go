// Package limits describes the resource limits an action may ask for
// (cpu-limit, memory-limit, pids-limit) in one table, Table: each entry
// says how the value is read and written (with package platform's
// quantities), where it sits in Limits, how it is set in the cgroup
// description a container is created from, and which cgroup v1 and v2
// files change it later. Resolving an action's limits against a runner's
// defaults and maxima, validating a policy, the refusal messages, creating
// a cgroup and changing one all go through the table, so adding a limit
// is one entry.
package limits
