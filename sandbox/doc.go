// Package sandbox defines Runner, the interface behind bb_runner, and holds
// its implementations as subpackages: process (plain child processes in a
// process group of their own), container (a libcontainer sandbox per
// action) and runnerserver (the buildbarn.runner gRPC service).
package sandbox
