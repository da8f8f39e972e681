// Package vm runs the container sandbox tests on cgroup v2 inside a qemu
// virtual machine, since the development machines use cgroup v1. The
// work is done by run.sh; the test here starts it when asked to.
package vm
