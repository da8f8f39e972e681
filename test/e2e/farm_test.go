package e2e

import (
	"path/filepath"
	"regexp"
	"testing"
)

// farm is a running `sandbarn farm`. The contract the tests rely on:
//
//   - `sandbarn farm --data-dir DIR --listen ADDR` starts storage,
//     scheduler, worker and runner with all data under DIR and serves every
//     REAPI service (CAS, AC, ByteStream, Capabilities, Execution) on ADDR;
//   - it prints the Bazel flags to use; the tests take from that output the
//     flags they cannot guess (--remote_instance_name,
//     --remote_default_exec_properties, --remote_default_platform_properties);
//   - the worker and the runner are separate processes below the farm's
//     process, each naming its role in its program name or first argument
//     (e.g. "bb_worker", "sandbarn runner ..."), and the farm restarts
//     either when it dies;
//   - SIGINT (Ctrl-C) stops everything, children included.
type farm struct {
	*server
	dataDir string
}

// startFarm runs the farm on a free loopback port with its data in base.
func startFarm(t *testing.T, bin, base string) *farm {
	t.Helper()
	dataDir := filepath.Join(base, "farm")
	addr := loopbackAddr(freeLoopbackPort(t))
	s := startServer(t, "sandbarn farm", addr, bin, "farm", "--data-dir", dataDir, "--listen", addr,
		// Farms run side by side; none needs the admin API.
		"--admin-listen", "")
	return &farm{server: s, dataDir: dataDir}
}

var printedFlag = regexp.MustCompile(`--remote_(?:instance_name|default_exec_properties|default_platform_properties)=\S+`)

// bazelFlags are the remote execution flags for this farm.
func (f *farm) bazelFlags() []string {
	flags := []string{
		"--remote_executor=grpc://" + f.addr,
		"--spawn_strategy=remote",
		"--genrule_strategy=remote",
		"--remote_timeout=120",
	}
	seen := map[string]bool{}
	for _, fl := range printedFlag.FindAllString(f.output.String(), -1) {
		if !seen[fl] {
			seen[fl] = true
			flags = append(flags, fl)
		}
	}
	return flags
}
