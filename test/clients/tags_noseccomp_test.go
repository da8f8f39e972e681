//go:build !seccomp

package clients

// buildTags: built without libseccomp, the sandbox runs without its
// seccomp profile.
const buildTags = ""
