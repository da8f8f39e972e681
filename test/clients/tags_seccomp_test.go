//go:build seccomp

package clients

// buildTags are the tags the programs under test are built with: the same
// as this test's, so `make test` checks the sandbox it ships.
const buildTags = "seccomp"
