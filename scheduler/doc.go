// Package scheduler is Sandbarn's execution scheduler. It serves the REAPI
// Execution service to build clients and Buildbarn's
// buildbarn.remoteworker.OperationQueue protocol to workers, and keeps the
// queue of actions in memory between the two.
//
// Actions are sorted into platform queues keyed by instance name and the
// action's routing platform properties. Workers are grouped into classes
// (instance name prefix plus advertised platform); each class knows the
// queues it may serve, so dispatching never scans all queues or workers.
// Within a queue, actions are ordered by priority, then round-robin across
// invocations (so one build cannot starve another), then FIFO.
//
// Platform properties handed to the worker: the Action sent in
// DesiredState.Executing is the client's Action with its platform filled in
// from Command.platform when the client left it empty (REAPI 2.0-2.1
// clients such as Bazel 4.2), and with the timeout set to the configured
// default when absent. The worker therefore finds every property the runner
// needs, routing or not, in Action.platform. The action digest stays the
// client's, so the worker writes the Action Cache under the right key.
//
// Property values compare exactly unless the property is listed in
// Config.CaseInsensitiveProperties (OSFamily and ISA by default: BuildStream
// sends OSFamily=linux where Bazel configurations say Linux).
//
// Next to Execution, clients get google.longrunning Operations:
// CancelOperation completes the operation with CANCELLED at once, and the
// worker running it is answered idle at its next synchronization, which
// makes its slot kill the action. With a log stream store
// (UseLogStreams), every dispatch gets a stdout and a stderr stream: the
// read names go to clients in ExecuteOperationMetadata, the write names to
// the worker in DesiredState.Executing.auxiliary_metadata
// (remoteworker.LogStreamWriteNames), and both streams are finished when
// the attempt ends.
//
// All state lives behind one mutex; nothing slow (storage, marshalling,
// network) happens while it is held. Time comes from an injected Clock and
// operation names from an injected IDGenerator, so tests drive the
// scheduler deterministically.
//
// Scheduler composes the parts that own that state; each is guarded by
// Scheduler's mutex and called with it held:
//
//   - operationTable (operationtable.go, lifecycle.go): operations by the
//     names clients know them by, merging of identical actions in flight,
//     stage transitions, cancellation and retention of finished ones.
//   - queueSet and platformQueue (queueset.go, platformqueue.go): the
//     platform queues, priorities and per-invocation fairness.
//   - router and workerClass (router.go, workerclass.go): worker classes,
//     which queues each may serve, dispatch to waiting workers, and why an
//     action matches no worker.
//   - workerRegistry, worker and drainSet (workerregistry.go, worker.go,
//     drainset.go): worker slots and drains.
//
// Around them: admitter (admission.go) validates Execute requests and
// reads the CAS and Action Cache without the lock; executionServer
// (execute.go) and operationsServer (operations.go) serve clients;
// operationQueueServer (synchronize.go) is the worker protocol; Admin and
// Handler (admin.go, adminhttp.go) are the operator's API; sweep
// (sweep.go) is the periodic housekeeping.
package scheduler
