package grpcclient

// remoteInstance names d's instance on the server: the client's configured
// instance, followed by the digest's own instance name when it has one, so
// that a client pointed at "prefix" keeps instances apart below it.
func remoteInstance(base, own string) string {
	switch {
	case base == "":
		return own
	case own == "":
		return base
	}
	return base + "/" + own
}
