// Package buildpath turns the relative paths of a runner request into paths
// on the host. Every runner (process, container) resolves a RunRequest
// through it, so the rules about what a worker may ask for live in one
// place: paths are relative, stay inside the build directory, and the
// working directory stays inside the input root.
package buildpath
