//go:build !seccomp

package testenv

// BuildTags: built without libseccomp, the sandbox runs without its
// seccomp profile.
const BuildTags = ""
