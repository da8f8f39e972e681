// Package worker is the execution side of bb_worker: a Slot synchronizes
// with the scheduler as one worker and hands each action it receives to an
// Executor, which materialises the input root in the slot's build
// directory, asks a runner to run the command, uploads the outputs and
// writes the Action Cache.
//
// Build directory layout, shared with the runner (paths in RunRequest are
// relative to the build directory):
//
//	<buildDir>/<slot>/root     the input root
//	<buildDir>/<slot>/tmp      the action's temporary directory
//	<buildDir>/<slot>/stdout   and stderr: the command's output streams
//	<buildDir>/<slot>/logs     the runner's logs for this action
//
// When the scheduler names log streams for an action
// (remoteworker.LogStreamWriteNames in auxiliary_metadata) and the
// Executor has a LogWriter, the stdout and stderr files are tailed while
// the runner runs and their new bytes ByteStream-written to the scheduler,
// so clients can follow the output live. The blobs in the ActionResult
// are made from the complete files afterwards, as without live output.
package worker
