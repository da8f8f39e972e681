// Package escape is the escape-attempt suite of the container sandbox:
// real actions sent to a real bb_runner over its UNIX socket, each trying
// one way out of the sandbox, each checked both in the action's result
// and on the host afterwards. It needs root (CI runs as root) and builds
// bb_runner with -tags seccomp, so libseccomp-dev must be installed.
package escape
