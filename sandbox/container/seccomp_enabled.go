//go:build cgo && seccomp

package container

// seccompSupported: libcontainer was built with libseccomp.
const seccompSupported = true
