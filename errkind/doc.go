// Package errkind gives errors a kind in the farm's own words (invalid,
// not found, failed precondition, resource exhausted, unavailable, ...)
// so that code below a service returns plain Go errors, wrapped with %w
// and context, and only the edge decides what a client sees: Status maps
// a kind to its gRPC code once, and the server interceptors apply it to
// every handler's error. Kind reads the kind back from any error in a
// chain, including gRPC status errors that came from another process, so
// a kind survives a hop between programs.
//
// It is a leaf: it imports only gRPC's status types.
package errkind
