// Package farmapp is `sandbarn farm`: a whole build farm on one machine.
// Storage and the scheduler run inside the farm process and share one gRPC
// server for clients; the worker and the runner run as child processes of
// the same binary (`sandbarn worker`, `sandbarn runner`) so that, as in a
// split deployment, an action cannot reach the worker's cache through the
// runner, and either process can crash and be restarted without losing the
// farm. Everything the farm writes lives below one data directory.
package farmapp
