package container

// SeccompSupported reports whether this binary was built with libseccomp
// (cgo and -tags seccomp). Without it, Config.DisableSeccomp must be set.
func SeccompSupported() bool {
	return seccompSupported
}
