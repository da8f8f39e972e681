package platform

import (
	"sort"
	"strings"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
)

// Offer is what a worker advertises: each name may carry several values
// (REAPI allows repeated names).
type Offer map[string][]string

// NewOffer collects a worker's platform.
func NewOffer(p *remoteexecution.Platform) Offer {
	o := Offer{}
	for _, pp := range p.GetProperties() {
		o[pp.Name] = append(o[pp.Name], pp.Value)
	}
	for n := range o {
		sort.Strings(o[n])
	}
	return o
}

// Satisfies reports whether the worker meets one requirement.
func (o Offer) Satisfies(req Requirement) bool {
	for _, v := range o[req.Name] {
		switch req.Rule {
		case RuleMinimum:
			have, err1 := ParseQuantity(v)
			want, err2 := ParseQuantity(req.Value)
			if err1 == nil && err2 == nil && have.Cmp(want) >= 0 {
				return true
			}
		default:
			if v == req.Value || req.FoldCase && strings.EqualFold(v, req.Value) {
				return true
			}
		}
	}
	return false
}

// SatisfiesAll reports whether the worker meets every requirement.
func (o Offer) SatisfiesAll(reqs []Requirement) bool {
	for _, req := range reqs {
		if !o.Satisfies(req) {
			return false
		}
	}
	return true
}
