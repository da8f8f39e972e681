package scheduler

import "sort"

// drainSet holds the drain patterns, by the worker key of the pattern: a
// worker whose labels include every label of a pattern gets no new work.
type drainSet map[string]map[string]string

// add records a pattern.
func (d drainSet) add(pattern map[string]string) {
	d[workerKey(pattern)] = pattern
}

// remove forgets a pattern and reports whether it was there.
func (d drainSet) remove(pattern map[string]string) bool {
	key := workerKey(pattern)
	_, ok := d[key]
	delete(d, key)
	return ok
}

// matches reports whether a worker with the given labels is drained.
func (d drainSet) matches(labels map[string]string) bool {
	for _, p := range d {
		if matchesPattern(labels, p) {
			return true
		}
	}
	return false
}

// list returns the patterns in a stable order.
func (d drainSet) list() []map[string]string {
	out := make([]map[string]string, 0, len(d))
	for _, p := range d {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return workerKey(out[i]) < workerKey(out[j]) })
	return out
}

// matchesPattern reports whether every label of the pattern is present
// with the same value.
func matchesPattern(labels, pattern map[string]string) bool {
	for k, v := range pattern {
		if labels[k] != v {
			return false
		}
	}
	return true
}
