// Package platform owns REAPI platform properties for the whole farm:
// their names, which platform an action runs on (Of), how their values
// are read (one quantity syntax for memory, CPU and counts), how an
// action's properties are matched against a worker's (Rules, Offer), and
// what the sandbox properties ask of the runner (ParseSandbox). The
// scheduler routes with it, the worker forwards with it and the runner
// applies it, so the same value means the same thing everywhere.
//
// It is a leaf: it imports only the REAPI protocol.
package platform
