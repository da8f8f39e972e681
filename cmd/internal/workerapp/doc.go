// Package workerapp is the bb_worker program as a library: its
// configuration and the code that wires storage, scheduler, runner and file
// cache into worker slots. bb_worker and `sandbarn worker` both run it.
package workerapp
