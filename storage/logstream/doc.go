// Package logstream holds the live output of running actions: streams
// created with build.bazel.remote.logstream.v1 semantics (a read name for
// clients, an unguessable write name for the worker), written and read
// through ByteStream while the action runs. Readers block for data until
// the stream is finished. Each stream keeps only its most recent bytes, so
// a chatty action cannot exhaust the scheduler's memory; a reader that
// falls that far behind skips ahead.
package logstream
