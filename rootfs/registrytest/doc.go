// Package registrytest serves images from an in-process registry
// (go-containerregistry's pkg/registry on httptest) and builds the images
// the tests and benchmarks need: a busybox image from the host's static
// busybox and layers made entry by entry, including malicious ones.
package registrytest
