//go:build !seccomp

package e2e

// buildTags: built without libseccomp, the sandbox runs without its
// seccomp profile.
const buildTags = ""
