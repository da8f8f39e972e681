package platform

import (
	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
)

// Of returns the platform an action runs on: Action.platform, or
// Command.platform for REAPI 2.0-2.1 clients (Bazel 4) that only fill the
// latter.
func Of(action *remoteexecution.Action, command *remoteexecution.Command) *remoteexecution.Platform {
	if len(action.GetPlatform().GetProperties()) > 0 {
		return action.Platform
	}
	return command.GetPlatform()
}
