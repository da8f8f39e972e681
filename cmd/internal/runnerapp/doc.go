// Package runnerapp is the bb_runner program as a library: its
// configuration and the code that builds the chosen sandbox and serves it
// on a UNIX socket, including the adapter that serves the container
// sandbox's root filesystems from the image store. bb_runner and
// `sandbarn runner` both run it.
package runnerapp
