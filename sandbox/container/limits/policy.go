package limits

import "fmt"

// Names of the platform properties this package reads.
const (
	CPUProperty    = "cpu-limit"
	MemoryProperty = "memory-limit"
	PidsProperty   = "pids-limit"
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
	check := func(name string, def, max int64) error {
		if def < 0 || max < 0 {
			return fmt.Errorf("%s: negative default or maximum", name)
		}
		if max > 0 && (def == 0 || def > max) {
			return fmt.Errorf("%s: default %d must be set and at most the maximum %d", name, def, max)
		}
		return nil
	}
	if err := check(CPUProperty, p.Default.CPUMillicores, p.Maximum.CPUMillicores); err != nil {
		return err
	}
	if err := check(MemoryProperty, p.Default.MemoryBytes, p.Maximum.MemoryBytes); err != nil {
		return err
	}
	return check(PidsProperty, p.Default.Pids, p.Maximum.Pids)
}

// Resolve computes an action's limits from its platform properties.
// Properties other than the three limits are ignored. An unreadable value
// or one above the maximum is an error naming the property; callers turn
// it into InvalidArgument.
func (p Policy) Resolve(properties map[string]string) (Limits, error) {
	l := p.Default
	fields := []struct {
		name  string
		parse func(string) (int64, error)
		value *int64
		max   int64
	}{
		{CPUProperty, ParseMillicores, &l.CPUMillicores, p.Maximum.CPUMillicores},
		{MemoryProperty, ParseBytes, &l.MemoryBytes, p.Maximum.MemoryBytes},
		{PidsProperty, ParseCount, &l.Pids, p.Maximum.Pids},
	}
	for _, f := range fields {
		raw, ok := properties[f.name]
		if !ok {
			continue
		}
		v, err := f.parse(raw)
		if err != nil {
			return Limits{}, fmt.Errorf("platform property %s: %w", f.name, err)
		}
		if f.max > 0 && v > f.max {
			return Limits{}, fmt.Errorf("platform property %s=%s is above this runner's maximum of %d", f.name, raw, f.max)
		}
		*f.value = v
	}
	return l, nil
}
