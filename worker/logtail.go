package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/sandbarn/sandbarn/proto/remoteworker"
	"google.golang.org/genproto/googleapis/bytestream"
	"google.golang.org/protobuf/types/known/anypb"
)

// logChunkBytes bounds one WriteRequest of live output.
const logChunkBytes = 64 << 10

// defaultLogPollInterval is how often a running action's output files are
// checked for new data: short enough that output appears live, long
// enough to cost nothing measurable.
const defaultLogPollInterval = 100 * time.Millisecond

// logTail copies what the runner appends to an output file into a log
// stream while the action runs. The runner writes the file; the worker
// only reads it, so the action's own output path is untouched.
type logTail struct {
	client    bytestream.ByteStreamClient
	writeName string
	path      string
	poll      time.Duration

	file   *os.File
	stream bytestream.ByteStream_WriteClient
	offset int64
}

// run copies until stop is closed, then sends the rest and finishes the
// stream.
func (t *logTail) run(ctx context.Context, stop <-chan struct{}) error {
	defer func() {
		if t.file != nil {
			t.file.Close()
		}
	}()
	ticker := time.NewTicker(t.poll)
	defer ticker.Stop()
	for {
		select {
		case <-stop:
			if err := t.copyNew(ctx); err != nil {
				return err
			}
			return t.finish(ctx)
		case <-ctx.Done():
			return ctx.Err()
		case <-ticker.C:
			if err := t.copyNew(ctx); err != nil {
				return err
			}
		}
	}
}

// copyNew sends whatever the file gained since the last call.
func (t *logTail) copyNew(ctx context.Context) error {
	if t.file == nil {
		f, err := os.Open(t.path)
		if errors.Is(err, os.ErrNotExist) {
			return nil // the runner has not created it yet
		}
		if err != nil {
			return err
		}
		t.file = f
	}
	buf := make([]byte, logChunkBytes)
	for {
		n, err := t.file.Read(buf)
		if n > 0 {
			if err := t.send(ctx, &bytestream.WriteRequest{Data: buf[:n]}); err != nil {
				return err
			}
		}
		if errors.Is(err, io.EOF) || n == 0 && err == nil {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (t *logTail) finish(ctx context.Context) error {
	if t.stream == nil {
		// Nothing was written: leave the call out, since the scheduler
		// finishes the stream when the action completes anyway. Most
		// actions print nothing on one of their streams.
		return nil
	}
	if err := t.send(ctx, &bytestream.WriteRequest{FinishWrite: true}); err != nil {
		return err
	}
	_, err := t.stream.CloseAndRecv()
	return err
}

// send opens the Write call on first use, so actions with no output on a
// stream cost one call only at the end.
func (t *logTail) send(ctx context.Context, req *bytestream.WriteRequest) error {
	if t.stream == nil {
		s, err := t.client.Write(ctx)
		if err != nil {
			return err
		}
		t.stream = s
		req.ResourceName = t.writeName
	}
	req.WriteOffset = t.offset
	if err := t.stream.Send(req); err != nil {
		// The server's reason comes from CloseAndRecv.
		if _, rerr := t.stream.CloseAndRecv(); rerr != nil {
			return rerr
		}
		return err
	}
	t.offset += int64(len(req.Data))
	return nil
}

// logWriteNames finds the log stream write names among the scheduler's
// auxiliary metadata; nil when it sent none.
func logWriteNames(metadata []*anypb.Any) *remoteworker.LogStreamWriteNames {
	for _, m := range metadata {
		names := &remoteworker.LogStreamWriteNames{}
		if m.MessageIs(names) && m.UnmarshalTo(names) == nil {
			return names
		}
	}
	return nil
}

// startLogTails starts copying stdout and stderr to the scheduler's log
// streams. The returned function stops the copies after a last read and
// waits for them.
func (a *actionRun) startLogTails(ctx context.Context) func() {
	names := logWriteNames(a.desired.AuxiliaryMetadata)
	if a.e.cfg.LogWriter == nil || names == nil {
		return func() {}
	}
	stop := make(chan struct{})
	errs := make(chan error, 2)
	tails := 0
	for file, name := range map[string]string{"stdout": names.StdoutWriteResourceName, "stderr": names.StderrWriteResourceName} {
		if name == "" {
			continue
		}
		t := &logTail{client: a.e.cfg.LogWriter, writeName: name, path: a.dir.abs(file), poll: a.e.cfg.LogPollInterval}
		tails++
		go func() {
			if err := t.run(ctx, stop); err != nil {
				errs <- fmt.Errorf("live %s: %w", file, err)
				return
			}
			errs <- nil
		}()
	}
	return func() {
		close(stop)
		for range tails {
			if err := <-errs; err != nil && ctx.Err() == nil {
				// Live output is a convenience: the outputs in the CAS
				// are complete either way, so the action goes on.
				a.e.logf("action %s: %v", a.desired.ActionDigest.GetHash(), err)
			}
		}
	}
}
