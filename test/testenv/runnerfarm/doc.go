// Package runnerfarm starts a real bb_runner with the container sandbox
// for the test suites that attack it (test/escape, test/hostile): one
// build directory slot whose input root holds a file hardlinked from a
// stand-in for the worker's file cache, a runner started as root or
// (rootless) as nobody, and a client on its UNIX socket.
package runnerfarm
