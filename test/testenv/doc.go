// Package testenv holds what Sandbarn's end-to-end test packages (test/e2e,
// test/clients) share: the CI rule for missing prerequisites, temporary
// directories the sandbox can reach, building the programs with the tests'
// own build tags, and waiting for a REAPI server to answer.
package testenv
