// Package runnerserver serves a sandbox.Runner as the buildbarn.runner
// gRPC service on a UNIX socket, the way bb_runner talks to bb_worker (or
// to a Buildbarn worker). It validates requests before a runner sees them,
// so every runner gets the same error for the same bad request. It is an
// edge: errors reach the worker with the gRPC code that errkind maps
// their kind to.
package runnerserver
