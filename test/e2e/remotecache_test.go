package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/sandbarn/sandbarn/test/testenv"
)

// cacheTargets is everything in the workspace except the test that fails
// on purpose; the cache build never runs tests, but it leaves the failing
// package out all the same so the build is exactly what CI caches.
var cacheTargets = []string{"--", "//...", "-//failing/..."}

// TestRemoteCache uses bb_storage as Bazel's --remote_cache: the first
// build fills the cache, and after `bazel clean` the rebuild must get
// every action from it, with the same outputs.
func TestRemoteCache(t *testing.T) {
	bazelBin := requireBazel(t)
	base := testenv.TempDir(t, "sandbarn-e2e-cache-")
	storageBin := buildProgram(t, "bb_storage", base)
	example := filepath.Join(repoRoot(t), "configs", "bb_storage.jsonnet")
	if _, err := os.Stat(example); err != nil {
		testenv.SkipOrFail(t, "no example bb_storage configuration yet: %v", err)
	}
	config, addr := writeStorageConfig(t, example, filepath.Join(base, "storage"))
	startServer(t, "bb_storage", addr, storageBin, config)

	ws := newWorkspace(t, base)
	bz := newBazel(t, bazelBin, ws, base, "output-base")
	flags := []string{"--remote_cache=grpc://" + addr}

	bz.mustRun("build", append(flags, cacheTargets...)...)
	bin := bz.info("bazel-bin", flags...)
	requireExpectedContents(t, bin)
	first := outputTree(t, bin)

	bz.mustRun("clean")
	execLog := filepath.Join(base, "rebuild-exec-log.json")
	out := bz.mustRun("build", append(append(flags, "--execution_log_json_file="+execLog), cacheTargets...)...)
	requireAllCacheHits(t, readExecLog(t, execLog))
	requireOnlyCacheHitsInSummary(t, out)
	requireSameOutputs(t, "first", first, "cached", outputTree(t, bin))
}
