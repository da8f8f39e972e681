//go:build seccomp

package testenv

// BuildTags are the tags the programs under test are built with: the same
// as the tests', so `make test` checks the sandbox it ships.
const BuildTags = "seccomp"
