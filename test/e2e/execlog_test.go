package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// spawnExec holds the fields the tests read from one entry of Bazel's
// --execution_log_json_file (a stream of SpawnExec messages in JSON).
type spawnExec struct {
	Mnemonic        string   `json:"mnemonic"`
	ProgressMessage string   `json:"progressMessage"`
	Runner          string   `json:"runner"`
	RemoteCacheHit  bool     `json:"remoteCacheHit"`
	ExitCode        int      `json:"exitCode"`
	ListedOutputs   []string `json:"listedOutputs"`
}

func (s spawnExec) String() string {
	return fmt.Sprintf("%s %q (runner %q, remote cache hit %v, exit %d)", s.Mnemonic, s.ProgressMessage, s.Runner, s.RemoteCacheHit, s.ExitCode)
}

// readExecLog decodes every spawn in an execution log.
func readExecLog(t *testing.T, path string) []spawnExec {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("execution log: %v", err)
	}
	defer f.Close()
	var spawns []spawnExec
	dec := json.NewDecoder(f)
	for {
		var s spawnExec
		err := dec.Decode(&s)
		if errors.Is(err, io.EOF) {
			return spawns
		}
		if err != nil {
			t.Fatalf("decoding execution log %s: %v", path, err)
		}
		spawns = append(spawns, s)
	}
}

// requireAllCacheHits fails unless the build ran at least one spawn and
// every spawn came from the remote cache.
func requireAllCacheHits(t *testing.T, spawns []spawnExec) {
	t.Helper()
	if len(spawns) == 0 {
		t.Fatal("the execution log lists no spawns, so it proves nothing about the cache")
	}
	misses := 0
	for _, s := range spawns {
		if !s.RemoteCacheHit {
			misses++
			t.Errorf("not a remote cache hit: %v", s)
		}
	}
	t.Logf("%d of %d spawns were remote cache hits", len(spawns)-misses, len(spawns))
}

// requireAllRemote fails unless every spawn was executed remotely or
// served from the remote cache: nothing may have fallen back to local.
func requireAllRemote(t *testing.T, spawns []spawnExec) {
	t.Helper()
	if len(spawns) == 0 {
		t.Fatal("the execution log lists no spawns")
	}
	for _, s := range spawns {
		if s.Runner != "remote" && !s.RemoteCacheHit {
			t.Errorf("spawn did not run remotely: %v", s)
		}
	}
}

var processesLine = regexp.MustCompile(`(?m)^INFO: (\d+) process(?:es)?: (.*)\.$`)

// processCounts parses Bazel's summary, e.g. "INFO: 25 processes: 9
// internal, 16 remote cache hit.", into counts by kind.
func processCounts(output string) (map[string]int, error) {
	m := processesLine.FindAllStringSubmatch(output, -1)
	if m == nil {
		return nil, errors.New("no \"INFO: N processes: ...\" line in Bazel's output")
	}
	last := m[len(m)-1]
	total, _ := strconv.Atoi(last[1])
	counts := map[string]int{}
	sum := 0
	for _, part := range strings.Split(last[2], ", ") {
		n, kind, ok := strings.Cut(part, " ")
		v, err := strconv.Atoi(n)
		if !ok || err != nil {
			return nil, fmt.Errorf("cannot parse %q in %q", part, last[0])
		}
		counts[kind] += v
		sum += v
	}
	if sum != total {
		return nil, fmt.Errorf("%q: kinds add up to %d, not %d", last[0], sum, total)
	}
	return counts, nil
}

// requireOnlyCacheHitsInSummary checks Bazel's own summary agrees with the
// execution log: apart from internal bookkeeping (symlink trees and the
// like, never sent anywhere) every process was a remote cache hit.
func requireOnlyCacheHitsInSummary(t *testing.T, output string) {
	t.Helper()
	counts, err := processCounts(output)
	if err != nil {
		t.Fatal(err)
	}
	if counts["remote cache hit"] == 0 {
		t.Errorf("no remote cache hits in Bazel's summary: %v", counts)
	}
	for kind, n := range counts {
		if kind != "internal" && kind != "remote cache hit" && n > 0 {
			t.Errorf("%d processes of kind %q in a build that should be all cache hits", n, kind)
		}
	}
}
