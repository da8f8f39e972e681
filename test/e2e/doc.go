// Package e2e holds end-to-end tests that drive Sandbarn with a real REAPI
// client: Debian's Bazel 4.2.3 (package bazel-bootstrap).
//
// The tests build the programs under cmd/ with the Go toolchain, start them
// on free loopback ports with temporary data directories, copy the workspace
// in testdata/workspace (plus the offline stand-ins for the repositories
// Bazel 4.2 would otherwise download, testdata/bazel-offline) to a temporary
// directory, and run Bazel against them:
//
//   - TestRemoteCache: bb_storage as --remote_cache; a clean rebuild must
//     take every action from the cache.
//   - TestRemoteExecution: `sandbarn farm` as --remote_executor; outputs
//     must equal a local build, a passing and a failing test report
//     correctly, a test over its 64 MiB memory-limit is killed and its log
//     says so, and a clean rebuild is all remote cache hits. Every action
//     runs in the farm's container sandbox.
//   - TestRemoteExecutionSurvivesKills: kill -9 of the runner and of the
//     worker while an action runs; the farm restarts them and the build
//     still succeeds.
//   - TestTwoImages: two targets whose exec_properties name two images
//     served by an in-process registry (busybox, Debian bookworm); each
//     action's /etc/os-release shows it ran on its own image.
//
// Without bazel on PATH the tests skip, except when CI=true, where that is a
// failure. A program that does not build yet makes its test skip the same
// way. The suite takes a few minutes; run it with a generous -timeout.
package e2e
