package platform

import (
	"fmt"
	"slices"
	"strings"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
)

// Matching rules: how a property an action asks for is compared with
// what a worker offers.
const (
	// RuleExact: the worker offers the same value (a worker may offer
	// several values for a name; any one of them matches).
	RuleExact = "exact"
	// RuleMinimum: the value is a quantity, and the worker's is at least
	// the action's (memory, cores).
	RuleMinimum = "minimum"
	// RuleRunner: not used for routing; the runner reads it.
	RuleRunner = "runner"
)

// Rules says how each property is matched: a rule per name (RuleExact
// for names not listed) and which names compare their values regardless
// of case.
type Rules struct {
	byName   map[string]string
	foldCase map[string]bool
}

// NewRules checks a configuration's rules. caseInsensitive nil means
// DefaultCaseInsensitive; an empty non-nil list makes every value
// case-sensitive.
func NewRules(rules map[string]string, caseInsensitive []string) (Rules, error) {
	r := Rules{byName: map[string]string{}, foldCase: map[string]bool{}}
	for name, rule := range rules {
		switch rule {
		case RuleExact, RuleMinimum, RuleRunner:
			r.byName[name] = rule
		default:
			return Rules{}, fmt.Errorf("platform property %q: unknown matching rule %q (want %s, %s or %s)", name, rule, RuleExact, RuleMinimum, RuleRunner)
		}
	}
	if caseInsensitive == nil {
		caseInsensitive = DefaultCaseInsensitive()
	}
	for _, name := range caseInsensitive {
		r.foldCase[name] = true
	}
	return r, nil
}

// Rule returns the rule for name.
func (r Rules) Rule(name string) string {
	if rule, ok := r.byName[name]; ok {
		return rule
	}
	return RuleExact
}

// Requirement is one property an action asks for, as routing compares it.
// The value of a case-insensitive property is in lower case, so that
// spellings differing in case select the same workers and queue.
type Requirement struct {
	Name, Value, Rule string
	FoldCase          bool
}

// Requirements returns the properties of p that take part in routing,
// sorted by name and value.
func (r Rules) Requirements(p *remoteexecution.Platform) []Requirement {
	reqs := make([]Requirement, 0, len(p.GetProperties()))
	for _, pp := range p.GetProperties() {
		rule := r.Rule(pp.Name)
		if rule == RuleRunner {
			continue
		}
		req := Requirement{Name: pp.Name, Value: pp.Value, Rule: rule, FoldCase: r.foldCase[pp.Name]}
		if req.FoldCase {
			req.Value = strings.ToLower(req.Value)
		}
		reqs = append(reqs, req)
	}
	slices.SortFunc(reqs, func(x, y Requirement) int {
		if c := strings.Compare(x.Name, y.Name); c != 0 {
			return c
		}
		return strings.Compare(x.Value, y.Value)
	})
	return reqs
}

func (req Requirement) String() string {
	return fmt.Sprintf("%s=%q", req.Name, req.Value)
}
