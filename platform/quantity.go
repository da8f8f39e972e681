package platform

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// units is the one table of suffixes a quantity may carry, whatever it
// measures, so that routing by a minimum and the limit a runner applies
// read a value alike. Binary (KiB, Ki) and decimal (KB, K, k) spellings
// both appear in build files; a lone k/K is decimal and a lower-case m is
// milli, as in Kubernetes quantities ("1500m" cores). Longer suffixes
// come first so that "MiB" is not read as "B".
var units = []struct {
	suffix string
	factor float64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"Ti", 1 << 40},
	{"KB", 1e3}, {"kB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"K", 1e3}, {"k", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12},
	{"m", 1e-3}, {"B", 1},
}

// ParseQuantity reads a number with an optional unit suffix.
func ParseQuantity(s string) (float64, error) {
	number, factor := strings.TrimSpace(s), 1.0
	for _, u := range units {
		if n, ok := strings.CutSuffix(number, u.suffix); ok {
			number, factor = n, u.factor
			break
		}
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(number), 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("%q is not a quantity", s)
	}
	return v * factor, nil
}

// positive reads a quantity that must be a positive int64 once scaled.
func positive(s, what string, scale float64) (int64, error) {
	v, err := ParseQuantity(s)
	if err != nil || !(v > 0) {
		return 0, fmt.Errorf("%q is not a positive %s", s, what)
	}
	total := math.Round(v * scale)
	if total < 1 || total >= math.MaxInt64/2 {
		return 0, fmt.Errorf("%q is out of range", s)
	}
	return int64(total), nil
}

// ParseBytes reads a memory size such as "512MiB", "2G" or "1048576".
func ParseBytes(s string) (int64, error) {
	return positive(s, "size in bytes", 1)
}

// ParseMillicores reads a CPU amount written as cores ("2", "0.5") or as
// millicores ("1500m").
func ParseMillicores(s string) (int64, error) {
	return positive(s, "number of cores", 1000)
}

// ParseCount reads a positive whole number such as "256" or "4k".
func ParseCount(s string) (int64, error) {
	v, err := ParseQuantity(s)
	if err != nil || v != math.Trunc(v) {
		return 0, fmt.Errorf("%q is not a positive whole number", s)
	}
	return positive(s, "whole number", 1)
}

// FormatBytes writes a size the way people read it in messages: exact
// binary units where they fit, plain bytes otherwise.
func FormatBytes(n int64) string {
	for _, u := range []struct {
		suffix string
		scale  int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.scale && n%u.scale == 0 {
			return strconv.FormatInt(n/u.scale, 10) + " " + u.suffix
		}
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
