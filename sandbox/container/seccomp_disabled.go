//go:build !cgo || !seccomp

package container

// seccompSupported: libcontainer was built without libseccomp and would
// refuse any profile.
const seccompSupported = false
