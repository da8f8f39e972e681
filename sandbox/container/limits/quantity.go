package limits

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ParseMillicores reads a CPU amount written as cores ("2", "0.5") or as
// millicores ("1500m"), the Kubernetes spellings that build tools copy.
func ParseMillicores(s string) (int64, error) {
	if milli, ok := strings.CutSuffix(s, "m"); ok {
		n, err := strconv.ParseInt(milli, 10, 64)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("%q is not a positive number of millicores", s)
		}
		return n, nil
	}
	cores, err := strconv.ParseFloat(s, 64)
	if err != nil || !(cores > 0) || math.IsInf(cores, 0) {
		return 0, fmt.Errorf("%q is not a positive number of cores", s)
	}
	milli := math.Round(cores * 1000)
	if milli < 1 || milli > math.MaxInt64/2 {
		return 0, fmt.Errorf("%q is out of range", s)
	}
	return int64(milli), nil
}

// byteUnits lists the suffixes memory-limit accepts. Both the binary
// (KiB, Ki) and decimal (KB, K) spellings appear in build files, and a
// lone "k"/"K" means the decimal one, as in Kubernetes quantities.
var byteUnits = []struct {
	suffix string
	scale  int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"Ti", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"kB", 1e3}, {"k", 1e3}, {"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12},
	{"B", 1},
}

// ParseBytes reads a memory size such as "512MiB", "2G" or "1048576".
func ParseBytes(s string) (int64, error) {
	number, scale := s, int64(1)
	for _, u := range byteUnits {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			number, scale = n, u.scale
			break
		}
	}
	value, err := strconv.ParseFloat(strings.TrimSpace(number), 64)
	if err != nil || !(value > 0) {
		return 0, fmt.Errorf("%q is not a positive size in bytes", s)
	}
	total := value * float64(scale)
	if total < 1 || total >= math.MaxInt64 {
		return 0, fmt.Errorf("%q is out of range", s)
	}
	return int64(total), nil
}

// ParseCount reads a positive whole number, as pids-limit takes.
func ParseCount(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a positive whole number", s)
	}
	return n, nil
}

// FormatBytes writes a size the way people read it in error messages:
// exact binary units where they fit, plain bytes otherwise.
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
