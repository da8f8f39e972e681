package limits

import (
	"fmt"
	"slices"
	"strings"
)

// Limits are the resources one action may use. Zero means unlimited.
type Limits struct {
	CPUMillicores int64
	MemoryBytes   int64
	Pids          int64
}

// Policy is a runner's rule for limits: Default applies when an action
// names no value, Maximum caps what an action may ask for (zero: no cap).
type Policy struct {
	Default Limits
	Maximum Limits
}

// Validate reports a policy whose defaults exceed its own maxima, which
// would make every action without explicit limits fail.
func (p Policy) Validate() error {
	for _, l := range Table {
		def, max := *l.Value(&p.Default), *l.Value(&p.Maximum)
		if def < 0 || max < 0 {
			return fmt.Errorf("%s: negative default or maximum", l.Property)
		}
		if max > 0 && (def == 0 || def > max) {
			return fmt.Errorf("%s: default %s must be set and at most the maximum %s", l.Property, l.Format(def), l.Format(max))
		}
	}
	return nil
}

// Resolve computes an action's limits from the values it gives, by
// property name; names not in Table are ignored. An unreadable value or
// one above the maximum is an error naming the property; callers turn it
// into InvalidArgument.
func (p Policy) Resolve(values map[string]string) (Limits, error) {
	out := p.Default
	for _, l := range Table {
		raw, ok := values[l.Property]
		if !ok {
			continue
		}
		v, err := l.Parse(raw)
		if err != nil {
			return Limits{}, fmt.Errorf("platform property %s: %w", l.Property, err)
		}
		if max := *l.Value(&p.Maximum); max > 0 && v > max {
			return Limits{}, fmt.Errorf("platform property %s=%s is above this runner's maximum of %s", l.Property, raw, l.Format(max))
		}
		*l.Value(&out) = v
	}
	return out, nil
}

// Parse reads limits written by configuration key ("cpu", "memory",
// "pids"), as a runner's defaultLimits and maximumLimits are; a missing
// or empty value is unlimited, an unknown key an error.
func Parse(values map[string]string) (Limits, error) {
	var out Limits
	for key := range values {
		if !slices.ContainsFunc(Table, func(l Limit) bool { return l.Key == key }) {
			return Limits{}, fmt.Errorf("unknown limit %q (known: %s)", key, keys())
		}
	}
	for _, l := range Table {
		raw := values[l.Key]
		if raw == "" {
			continue
		}
		v, err := l.Parse(raw)
		if err != nil {
			return Limits{}, fmt.Errorf("%s %q: %w", l.Key, raw, err)
		}
		*l.Value(&out) = v
	}
	return out, nil
}

func keys() string {
	var names []string
	for _, l := range Table {
		names = append(names, l.Key)
	}
	return strings.Join(names, ", ")
}
