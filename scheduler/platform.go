package scheduler

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
)

// property is one name/value pair of a platform, with its matching rule.
// The value of a case-insensitive property is kept in lower case, so that
// spellings differing in case share one platform queue.
type property struct {
	name, value, rule string
	foldCase          bool
}

// routingProperties returns the properties of an action's platform that
// take part in routing, sorted, and appends to b the key of the platform
// queue they select under the instance name.
func (c Config) routingProperties(instance string, p *remoteexecution.Platform, b []byte) ([]property, []byte) {
	props := make([]property, 0, len(p.GetProperties()))
	for _, pp := range p.GetProperties() {
		rule := c.rule(pp.Name)
		if rule == RuleRunner {
			continue
		}
		p := property{name: pp.Name, value: pp.Value, rule: rule, foldCase: c.caseInsensitive(pp.Name)}
		if p.foldCase {
			p.value = strings.ToLower(p.value)
		}
		props = append(props, p)
	}
	slices.SortFunc(props, func(x, y property) int {
		if c := strings.Compare(x.name, y.name); c != 0 {
			return c
		}
		return strings.Compare(x.value, y.value)
	})
	b = append(append(b, instance...), 0)
	for _, pp := range props {
		b = strconv.AppendQuote(b, pp.name)
		b = append(b, '=')
		b = strconv.AppendQuote(b, pp.value)
		b = append(b, ';')
	}
	return props, b
}

// workerPlatform is what a worker advertises: each name may carry several
// values (REAPI allows repeated names).
type workerPlatform map[string][]string

func newWorkerPlatform(p *remoteexecution.Platform) workerPlatform {
	wp := workerPlatform{}
	for _, pp := range p.GetProperties() {
		wp[pp.Name] = append(wp[pp.Name], pp.Value)
	}
	for n := range wp {
		sort.Strings(wp[n])
	}
	return wp
}

// appendPlatformKey appends to b a key identifying a worker's platform
// regardless of property order. It runs on every Synchronize, so it
// avoids fmt, maps and allocation.
func appendPlatformKey(b []byte, p *remoteexecution.Platform) []byte {
	var buf [8][2]string
	pairs := buf[:0]
	for _, pp := range p.GetProperties() {
		pairs = append(pairs, [2]string{pp.Name, pp.Value})
	}
	slices.SortFunc(pairs, func(x, y [2]string) int {
		if c := strings.Compare(x[0], y[0]); c != 0 {
			return c
		}
		return strings.Compare(x[1], y[1])
	})
	for _, kv := range pairs {
		b = strconv.AppendQuote(b, kv[0])
		b = append(b, '=')
		b = strconv.AppendQuote(b, kv[1])
		b = append(b, ';')
	}
	return b
}

// satisfies reports whether the worker meets one requested property.
func (wp workerPlatform) satisfies(p property) bool {
	for _, v := range wp[p.name] {
		switch p.rule {
		case RuleMinimum:
			have, err1 := parseQuantity(v)
			want, err2 := parseQuantity(p.value)
			if err1 == nil && err2 == nil && have >= want {
				return true
			}
		default:
			if v == p.value || p.foldCase && strings.EqualFold(v, p.value) {
				return true
			}
		}
	}
	return false
}

func (wp workerPlatform) satisfiesAll(props []property) bool {
	for _, p := range props {
		if !wp.satisfies(p) {
			return false
		}
	}
	return true
}

// quantitySuffixes are the units accepted by the minimum rule, so that
// memory can be written as in the runner's properties ("512MiB", "2G").
var quantitySuffixes = []struct {
	suffix string
	factor float64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"Ti", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12},
	{"k", 1e3}, {"m", 1e-3}, {"B", 1},
}

// parseQuantity parses a number with an optional unit suffix.
func parseQuantity(s string) (float64, error) {
	s = strings.TrimSpace(s)
	factor := 1.0
	for _, q := range quantitySuffixes {
		if strings.HasSuffix(s, q.suffix) {
			s, factor = strings.TrimSuffix(s, q.suffix), q.factor
			break
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("not a quantity: %q", s)
	}
	return v * factor, nil
}

// instanceSuffix reports whether prefix is a path-wise prefix of instance
// ("a" is a prefix of "a" and "a/b", not of "ab") and returns the rest.
func instanceSuffix(prefix, instance string) (string, bool) {
	switch {
	case prefix == "":
		return instance, true
	case instance == prefix:
		return "", true
	case strings.HasPrefix(instance, prefix+"/"):
		return instance[len(prefix)+1:], true
	}
	return "", false
}

// platformOf picks the platform an action is routed by: Action.platform,
// or Command.platform for REAPI 2.0-2.1 clients that only fill the latter.
func platformOf(action *remoteexecution.Action, command *remoteexecution.Command) *remoteexecution.Platform {
	if len(action.GetPlatform().GetProperties()) > 0 {
		return action.Platform
	}
	return command.GetPlatform()
}
