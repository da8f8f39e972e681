package container

import (
	"os"

	"github.com/opencontainers/runc/libcontainer"

	// The devices cgroup manager: without it libcontainer cannot install
	// the device rules that let an action open /dev/null on cgroup v1.
	_ "github.com/opencontainers/cgroups/devices"
	// nsenter's C constructor joins the namespaces of a container being
	// started before the Go runtime comes up.
	_ "github.com/opencontainers/runc/libcontainer/nsenter"
)

// initArgument is what libcontainer passes as argv[1] when it re-executes
// the running binary to become a container's first process.
const initArgument = "init"

// Init must be the first statement of main in every program that creates
// containers with this package (and of TestMain in tests). In the process
// libcontainer starts inside a new container it sets the container up and
// executes the action, never returning; elsewhere it returns at once.
func Init() {
	// The pipe variable tells a real container start apart from a program
	// that happens to be given "init" as its first argument.
	if len(os.Args) > 1 && os.Args[1] == initArgument && os.Getenv("_LIBCONTAINER_INITPIPE") != "" {
		libcontainer.Init()
	}
	// A prepared container's init is this binary again, executed inside
	// the container; it is never a process a user starts by hand, since
	// it needs the control socket on fd 3 and exits without it.
	if len(os.Args) > 1 && os.Args[1] == actionInitArgument && os.Getpid() == 1 {
		runActionInit()
	}
}
