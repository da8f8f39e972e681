package platform

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// units is the one table of suffixes a quantity may carry, whatever it
// measures, so that routing by a minimum and the limit a runner applies
// read a value alike. Binary (KiB, Ki) and decimal (KB, K, k) spellings
// both appear in build files; a lone k/K is decimal and a lower-case m is
// milli, as in Kubernetes quantities ("1500m" cores). Longer suffixes
// come first so that "MiB" is not read as "B". Factors are fractions.
var units = []struct {
	suffix   string
	num, den int64
}{
	{"KiB", 1 << 10, 1}, {"MiB", 1 << 20, 1}, {"GiB", 1 << 30, 1}, {"TiB", 1 << 40, 1},
	{"Ki", 1 << 10, 1}, {"Mi", 1 << 20, 1}, {"Gi", 1 << 30, 1}, {"Ti", 1 << 40, 1},
	{"KB", 1e3, 1}, {"kB", 1e3, 1}, {"MB", 1e6, 1}, {"GB", 1e9, 1}, {"TB", 1e12, 1},
	{"K", 1e3, 1}, {"k", 1e3, 1}, {"M", 1e6, 1}, {"G", 1e9, 1}, {"T", 1e12, 1},
	{"m", 1, 1000}, {"B", 1, 1},
}

// ParseQuantity reads a number with an optional unit suffix, exactly (as
// a fraction), so that comparing two quantities never depends on
// rounding.
func ParseQuantity(s string) (*big.Rat, error) {
	number, factor := strings.TrimSpace(s), big.NewRat(1, 1)
	for _, u := range units {
		if n, ok := strings.CutSuffix(number, u.suffix); ok {
			number, factor = n, big.NewRat(u.num, u.den)
			break
		}
	}
	number = strings.TrimSpace(number)
	if !plainNumber(number) {
		return nil, fmt.Errorf("%q is not a quantity", s)
	}
	v, ok := new(big.Rat).SetString(number)
	if !ok {
		return nil, fmt.Errorf("%q is not a quantity", s)
	}
	return v.Mul(v, factor), nil
}

// plainNumber accepts a decimal number of sane length whose exponent, if
// any, is small: an exact fraction of "1e999999999" would take gigabytes.
func plainNumber(s string) bool {
	if s == "" || len(s) > 64 || strings.Trim(s, "0123456789.+-eE") != "" {
		return false
	}
	mantissa, exp, hasExp := strings.Cut(strings.ToLower(s), "e")
	if _, err := strconv.ParseFloat(mantissa, 64); err != nil {
		return false
	}
	if !hasExp {
		return true
	}
	e, err := strconv.Atoi(exp)
	return err == nil && e >= -30 && e <= 30
}

// whole reads a quantity that, multiplied by scale, must be a positive
// whole number that fits an int64: a runner cannot apply a fraction of a
// byte or a millicore, and rounding would make it disagree with routing.
func whole(s, unit string, scale int64) (int64, error) {
	v, err := ParseQuantity(s)
	if err != nil {
		return 0, err
	}
	v.Mul(v, big.NewRat(scale, 1))
	if v.Sign() <= 0 || !v.IsInt() {
		return 0, fmt.Errorf("%q is not a positive whole number of %s", s, unit)
	}
	if !v.Num().IsInt64() || v.Num().Int64() > math.MaxInt64/2 {
		return 0, fmt.Errorf("%q is out of range", s)
	}
	return v.Num().Int64(), nil
}

// ParseBytes reads a memory size such as "512MiB", "2G" or "1048576".
func ParseBytes(s string) (int64, error) {
	return whole(s, "bytes", 1)
}

// ParseMillicores reads a CPU amount written as cores ("2", "0.5") or as
// millicores ("1500m").
func ParseMillicores(s string) (int64, error) {
	return whole(s, "millicores", 1000)
}

// ParseCount reads a positive whole number such as "256" or "4k".
func ParseCount(s string) (int64, error) {
	return whole(s, "units", 1)
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
