package platform

import "testing"

func TestParseMillicores(t *testing.T) {
	for in, want := range map[string]int64{"2": 2000, "0.5": 500, "1500m": 1500, "0.001": 1} {
		got, err := ParseMillicores(in)
		if err != nil || got != want {
			t.Errorf("ParseMillicores(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-1", "abc", "m", "0.0001", "NaN", "Inf", "-5m"} {
		if _, err := ParseMillicores(in); err == nil {
			t.Errorf("ParseMillicores(%q) accepted a bad value", in)
		}
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{
		"512MiB": 512 << 20, "2G": 2e9, "64Mi": 64 << 20, "1048576": 1 << 20,
		"1.5GiB": 3 << 29, "100k": 100e3, "10B": 10,
	} {
		got, err := ParseBytes(in)
		if err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MiB", "-1G", "0", "lots", "1e30", "12XB"} {
		if _, err := ParseBytes(in); err == nil {
			t.Errorf("ParseBytes(%q) accepted a bad value", in)
		}
	}
}

func TestFormatBytes(t *testing.T) {
	for in, want := range map[int64]string{64 << 20: "64 MiB", 3 << 30: "3 GiB", 1000: "1000 bytes", 2048: "2 KiB"} {
		if got := FormatBytes(in); got != want {
			t.Errorf("FormatBytes(%d) = %q; want %q", in, got, want)
		}
	}
}

func TestParseQuantity(t *testing.T) {
	for in, want := range map[string]float64{"2": 2, "0.5": 0.5, "1500m": 1.5, "512MiB": 512 << 20, "2G": 2e9, "4Gi": 4 << 30, "1kB": 1e3} {
		got, err := ParseQuantity(in)
		if f, _ := got.Float64(); err != nil || f != want {
			t.Errorf("ParseQuantity(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"lots", "", "Inf", "NaN", "1X", "1e999999999", "1e-999999999", "0x10", "1_000"} {
		if _, err := ParseQuantity(in); err == nil {
			t.Errorf("ParseQuantity(%q) accepted it", in)
		}
	}
}
