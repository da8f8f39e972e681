// Package runnerserver serves a sandbox.Runner as the buildbarn.runner
// gRPC service on a UNIX socket, the way bb_runner talks to bb_worker (or
// to a Buildbarn worker). It validates requests before a runner sees them,
// so every runner gets the same error for the same bad request.
package runnerserver
