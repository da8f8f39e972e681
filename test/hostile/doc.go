// Package hostile is the hostile-tenant suite: each test plays someone the
// farm must not trust (an action, a client, a compromised worker account
// or another local user), performs a real attack on the surroundings of
// the sandbox (the runner's paths, the worker's file cache, the image
// store, the servers' bounds) and fails if the attack succeeds. Tests that
// need root or an unprivileged account skip with a reason outside CI; CI
// runs them all as root, and drops to an unprivileged user where the
// point is about rootless.
package hostile
