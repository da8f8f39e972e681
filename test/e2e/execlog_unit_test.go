package e2e

import "testing"

// The summary parser runs without Bazel, so its cases are checked always.
func TestProcessCounts(t *testing.T) {
	out := "INFO: Analyzed 13 targets\nINFO: 38 processes: 16 internal, 22 remote cache hit.\nINFO: Build completed successfully\n"
	got, err := processCounts(out)
	if err != nil {
		t.Fatal(err)
	}
	if got["internal"] != 16 || got["remote cache hit"] != 22 || len(got) != 2 {
		t.Errorf("got %v", got)
	}
	if _, err := processCounts("INFO: 3 processes: 1 internal, 1 remote.\n"); err == nil {
		t.Error("a summary whose kinds do not add up was accepted")
	}
	if _, err := processCounts("no summary here"); err == nil {
		t.Error("output without a summary was accepted")
	}
	one, err := processCounts("INFO: 1 process: 1 remote cache hit.\n")
	if err != nil || one["remote cache hit"] != 1 {
		t.Errorf("singular summary: %v, %v", one, err)
	}
}
