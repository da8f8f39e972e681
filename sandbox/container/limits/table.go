package limits

import (
	"strconv"

	"github.com/opencontainers/cgroups"

	"github.com/sandbarn/sandbarn/platform"
)

// CPUPeriod is the CFS period, in microseconds, that a cpu-limit quota is
// expressed in.
const CPUPeriod = 100_000

// File is one write to a cgroup file: Controller names the v1 hierarchy
// (ignored on v2). Optional files may be missing on a kernel (memsw
// without swap accounting, swap.max without swap).
type File struct {
	Controller, Name, Value string
	Optional                bool
}

// Limit describes one resource limit.
type Limit struct {
	// Property is the platform property that asks for it; Key names it
	// in a runner configuration's defaultLimits and maximumLimits.
	Property, Key string
	Parse         func(string) (int64, error)
	Format        func(int64) string
	// Value points at the limit's field.
	Value func(*Limits) *int64
	// Resources sets a positive value in the description libcontainer
	// creates a container's cgroup from (either version).
	Resources func(res *cgroups.Resources, v int64)
	// V1 and V2 are the writes, in order, that change an existing
	// cgroup's limit from one value to another (0: unlimited).
	V1, V2 func(from, to int64) []File
}

// Table lists every limit.
var Table = []Limit{
	{
		Property: platform.CPULimit, Key: "cpu",
		Parse: platform.ParseMillicores, Format: formatMillicores,
		Value: func(l *Limits) *int64 { return &l.CPUMillicores },
		Resources: func(res *cgroups.Resources, v int64) {
			res.CpuPeriod, res.CpuQuota = CPUPeriod, quota(v)
		},
		V1: func(_, to int64) []File {
			return []File{{Controller: "cpu", Name: "cpu.cfs_quota_us", Value: orUnlimited(quota(to), "-1")}}
		},
		V2: func(_, to int64) []File {
			return []File{{Name: "cpu.max", Value: orUnlimited(quota(to), "max") + " " + strconv.Itoa(CPUPeriod)}}
		},
	},
	{
		Property: platform.MemoryLimit, Key: "memory",
		Parse: platform.ParseBytes, Format: platform.FormatBytes,
		Value: func(l *Limits) *int64 { return &l.MemoryBytes },
		// Memory+swap equal to memory turns swap off on v1; libcontainer
		// writes memory.swap.max=0 from it on v2.
		Resources: func(res *cgroups.Resources, v int64) { res.Memory, res.MemorySwap = v, v },
		V1:        memoryV1,
		V2: func(_, to int64) []File {
			return []File{
				{Controller: "memory", Name: "memory.max", Value: orUnlimited(to, "max")},
				{Controller: "memory", Name: "memory.swap.max", Value: "0", Optional: true},
			}
		},
	},
	{
		Property: platform.PidsLimit, Key: "pids",
		Parse: platform.ParseCount, Format: formatCount,
		Value:     func(l *Limits) *int64 { return &l.Pids },
		Resources: func(res *cgroups.Resources, v int64) { res.PidsLimit = &v },
		V1:        pidsFiles,
		V2:        pidsFiles,
	},
}

// memoryV1 keeps swap off: memory+swap equals memory. As memory+swap may
// never be below memory, the order of the two writes depends on the
// direction of the change.
func memoryV1(from, to int64) []File {
	v := orUnlimited(to, "-1")
	mem := File{Controller: "memory", Name: "memory.limit_in_bytes", Value: v, Optional: true}
	memsw := File{Controller: "memory", Name: "memory.memsw.limit_in_bytes", Value: v, Optional: true}
	if to <= 0 || (from > 0 && to > from) {
		return []File{memsw, mem}
	}
	return []File{mem, memsw}
}

func pidsFiles(_, to int64) []File {
	return []File{{Controller: "pids", Name: "pids.max", Value: orUnlimited(to, "max")}}
}

func quota(millicores int64) int64 { return millicores * CPUPeriod / 1000 }

func orUnlimited(n int64, unlimited string) string {
	if n <= 0 {
		return unlimited
	}
	return strconv.FormatInt(n, 10)
}

func formatMillicores(n int64) string { return strconv.FormatInt(n, 10) + "m" }
func formatCount(n int64) string      { return strconv.FormatInt(n, 10) }
