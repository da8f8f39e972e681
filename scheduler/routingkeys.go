package scheduler

import (
	"slices"
	"strconv"
	"strings"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"

	"github.com/sandbarn/sandbarn/platform"
)

// routingProperties returns the properties of an action's platform that
// take part in routing, sorted, and appends to b the key of the platform
// queue they select under the instance name.
func (c Config) routingProperties(instance string, p *remoteexecution.Platform, b []byte) ([]platform.Requirement, []byte) {
	reqs := c.rules.Requirements(p)
	b = append(append(b, instance...), 0)
	for _, r := range reqs {
		b = strconv.AppendQuote(b, r.Name)
		b = append(b, '=')
		b = strconv.AppendQuote(b, r.Value)
		b = append(b, ';')
	}
	return reqs, b
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
