package worker

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"google.golang.org/genproto/googleapis/bytestream"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/sandbarn/sandbarn/errkind"
	"github.com/sandbarn/sandbarn/platform"
	"github.com/sandbarn/sandbarn/proto/remoteworker"
	runnerpb "github.com/sandbarn/sandbarn/proto/runner"
	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
	"github.com/sandbarn/sandbarn/worker/inputroot"
	"github.com/sandbarn/sandbarn/worker/outputs"
)

// maxCommandSize bounds the Command message read from the CAS.
const maxCommandSize = 16 << 20

// runnerGrace is how long past the action's timeout the worker waits for
// the runner, which enforces the timeout itself, before giving up on it.
const runnerGrace = 30 * time.Second

// Stage is the progress of an action, as reported to the scheduler.
type Stage int

// The stages of an action after it was started, in order.
const (
	StageFetchingInputs Stage = iota
	StageRunning
	StageUploadingOutputs
)

// ExecutorConfig holds what an Executor needs.
type ExecutorConfig struct {
	CAS         storage.BlobAccess
	ActionCache storage.BlobAccess
	Runner      runnerpb.RunnerClient
	Populator   *inputroot.Populator
	// BuildDirectory is the directory the runner also sees; each slot has a
	// subdirectory.
	BuildDirectory string
	// WorkerName goes into ExecutedActionMetadata.worker.
	WorkerName string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// UploadConcurrency bounds parallel output uploads.
	UploadConcurrency int
	// LogWriter, when set, is the scheduler's ByteStream service: the
	// action's stdout and stderr are copied there live when the scheduler
	// names log streams for them.
	LogWriter bytestream.ByteStreamClient
	// LogPollInterval is how often live output is looked for; zero means
	// 100ms.
	LogPollInterval time.Duration
	// Logf reports problems that do not fail the action; nil means
	// log.Printf.
	Logf func(format string, args ...any)
}

// Executor runs single actions. One Executor serves all slots.
type Executor struct {
	cfg ExecutorConfig
}

// NewExecutor returns an Executor. Use one per worker process.
func NewExecutor(cfg ExecutorConfig) *Executor {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.UploadConcurrency < 1 {
		cfg.UploadConcurrency = 16
	}
	if cfg.LogPollInterval <= 0 {
		cfg.LogPollInterval = defaultLogPollInterval
	}
	if cfg.Logf == nil {
		cfg.Logf = log.Printf
	}
	return &Executor{cfg: cfg}
}

// Execute runs one action in the slot's directory and always returns a
// response: failures are in its status, with whatever result was obtained
// (a timed-out action still has its partial outputs). report is called at
// each stage change.
func (e *Executor) Execute(ctx context.Context, slot, instancePrefix string, desired *remoteworker.DesiredState_Executing, report func(Stage)) *remoteexecution.ExecuteResponse {
	md := &remoteexecution.ExecutedActionMetadata{
		Worker:               e.cfg.WorkerName,
		QueuedTimestamp:      desired.QueuedTimestamp,
		WorkerStartTimestamp: e.now(),
	}
	result := &remoteexecution.ActionResult{ExecutionMetadata: md}
	a := &actionRun{
		e:        e,
		dir:      slotDirectory{buildDir: e.cfg.BuildDirectory, slot: slot},
		instance: digest.JoinInstance(instancePrefix, desired.InstanceNameSuffix),
		desired:  desired,
		result:   result,
		report:   report,
	}
	err := a.run(ctx)
	if cerr := a.dir.clean(); err == nil && cerr != nil {
		err = errkind.New(errkind.Internal, "%w", cerr)
	}
	md.WorkerCompletedTimestamp = e.now()
	resp := &remoteexecution.ExecuteResponse{Result: result}
	if err != nil {
		resp.Status = statusOf(err).Proto()
		resp.Message = resp.Status.Message
	}
	return resp
}

func (e *Executor) now() *timestamppb.Timestamp { return timestamppb.New(e.cfg.Now()) }

func (e *Executor) logf(format string, args ...any) { e.cfg.Logf(format, args...) }

// statusOf is the worker's edge: the status the scheduler receives for
// err. Errors without a kind, such as the local file system's, are
// infrastructure failures: INTERNAL.
func statusOf(err error) *status.Status {
	if errkind.Of(err) == errkind.Unknown {
		err = errkind.New(errkind.Internal, "%w", err)
	}
	return errkind.Status(err)
}

// actionRun is the state of one Execute call.
type actionRun struct {
	e        *Executor
	dir      slotDirectory
	instance string
	desired  *remoteworker.DesiredState_Executing
	result   *remoteexecution.ActionResult
	report   func(Stage)
	command  *remoteexecution.Command
}

func (a *actionRun) run(ctx context.Context) error {
	action := a.desired.Action
	if action == nil {
		return errkind.New(errkind.Invalid, "the scheduler sent no Action")
	}
	fn := a.desired.DigestFunction
	if err := a.dir.prepare(); err != nil {
		return err
	}
	a.report(StageFetchingInputs)
	md := a.result.ExecutionMetadata
	md.InputFetchStartTimestamp = a.e.now()
	if err := a.fetchInputs(ctx, action, fn); err != nil {
		return err
	}
	md.InputFetchCompletedTimestamp = a.e.now()

	a.report(StageRunning)
	md.ExecutionStartTimestamp = a.e.now()
	timedOut, err := a.execute(ctx, action)
	md.ExecutionCompletedTimestamp = a.e.now()
	if err != nil {
		return err
	}

	a.report(StageUploadingOutputs)
	md.OutputUploadStartTimestamp = a.e.now()
	if err := a.uploadOutputs(ctx, fn); err != nil {
		return err
	}
	md.OutputUploadCompletedTimestamp = a.e.now()
	if timedOut {
		return errkind.New(errkind.DeadlineExceeded, "action timed out after %s", action.Timeout.AsDuration())
	}
	if a.result.ExitCode == 0 && !action.DoNotCache {
		return a.writeActionCache(ctx, fn)
	}
	return nil
}

// fetchInputs reads the Command and fills the input root, then creates the
// working directory and the parents of the outputs, which REAPI makes the
// worker's job.
func (a *actionRun) fetchInputs(ctx context.Context, action *remoteexecution.Action, fn remoteexecution.DigestFunction_Value) error {
	cmdDigest, err := digest.FromProto(a.instance, fn, action.CommandDigest)
	if err != nil {
		return errkind.New(errkind.Invalid, "command digest: %w", err)
	}
	a.command = &remoteexecution.Command{}
	if err := storage.GetProto(ctx, a.e.cfg.CAS, cmdDigest, maxCommandSize, a.command); err != nil {
		if errkind.Is(err, errkind.NotFound) {
			return storage.MissingBlobsError("command", cmdDigest)
		}
		return err
	}
	if err := a.e.cfg.Populator.Populate(ctx, a.instance, fn, action.InputRootDigest, a.dir.abs("root")); err != nil {
		return err
	}
	return createOutputParents(a.dir.abs("root"), a.command)
}

// execute calls the runner and records the exit code and resource usage.
// It reports whether the action ran past its timeout.
func (a *actionRun) execute(ctx context.Context, action *remoteexecution.Action) (bool, error) {
	req := &runnerpb.RunRequest{
		Arguments:            a.command.Arguments,
		EnvironmentVariables: map[string]string{},
		WorkingDirectory:     a.command.WorkingDirectory,
		StdoutPath:           a.dir.rel("stdout"),
		StderrPath:           a.dir.rel("stderr"),
		InputRootDirectory:   a.dir.rel("root"),
		TemporaryDirectory:   a.dir.rel("tmp"),
		ServerLogsDirectory:  a.dir.rel("logs"),
		Platform:             platform.Of(action, a.command),
		InstanceName:         a.instance,
	}
	for _, v := range a.command.EnvironmentVariables {
		req.EnvironmentVariables[v.Name] = v.Value
	}
	runCtx := ctx
	timeout := action.Timeout.AsDuration()
	if timeout > 0 {
		req.Timeout = durationpb.New(timeout)
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, timeout+runnerGrace)
		defer cancel()
	}
	stopTails := a.startLogTails(ctx)
	resp, err := a.e.cfg.Runner.Run(runCtx, req)
	stopTails()
	if err != nil {
		if ctx.Err() == nil && runCtx.Err() != nil {
			// The runner did not stop the action at its deadline; treat it
			// as timed out so partial outputs are still returned.
			return true, nil
		}
		// FromStatus keeps the runner's code and drops gRPC's prefix from
		// its message.
		return false, fmt.Errorf("runner: %w", errkind.FromStatus(err))
	}
	a.result.ExitCode = int32(resp.ExitCode)
	md := a.result.ExecutionMetadata
	if resp.Usage != nil {
		if any, err := anypb.New(resp.Usage); err == nil {
			md.AuxiliaryMetadata = append(md.AuxiliaryMetadata, any)
		}
	}
	if resp.Environment != nil {
		if any, err := anypb.New(resp.Environment); err == nil {
			md.AuxiliaryMetadata = append(md.AuxiliaryMetadata, any)
		}
	}
	for _, u := range resp.ResourceUsage {
		// Skip Buildbarn-style copies of the typed usage already added.
		if resp.Usage == nil || !u.MessageIs(resp.Usage) {
			md.AuxiliaryMetadata = append(md.AuxiliaryMetadata, u)
		}
	}
	return resp.TimedOut, nil
}

// uploadOutputs collects outputs and the output streams and stores the
// blobs that the CAS lacks.
func (a *actionRun) uploadOutputs(ctx context.Context, fn remoteexecution.DigestFunction_Value) error {
	blobs := outputs.NewBlobSet(a.instance, fn)
	if err := outputs.Collect(blobs, a.dir.abs("root"), a.command, a.result); err != nil {
		return err
	}
	for name, field := range map[string]**remoteexecution.Digest{"stdout": &a.result.StdoutDigest, "stderr": &a.result.StderrDigest} {
		info, err := os.Stat(a.dir.abs(name))
		if err != nil || info.Size() == 0 {
			continue
		}
		d, err := blobs.AddFile(a.dir.abs(name))
		if err != nil {
			return err
		}
		*field = d.Proto()
	}
	if _, err := blobs.Upload(ctx, a.e.cfg.CAS, a.e.cfg.UploadConcurrency); err != nil {
		return fmt.Errorf("upload outputs: %w", errkind.FromStatus(err))
	}
	return nil
}

func (a *actionRun) writeActionCache(ctx context.Context, fn remoteexecution.DigestFunction_Value) error {
	d, err := digest.FromProto(a.instance, fn, a.desired.ActionDigest)
	if err != nil {
		return errkind.New(errkind.Invalid, "action digest: %w", err)
	}
	data, err := proto.MarshalOptions{Deterministic: true}.Marshal(a.result)
	if err != nil {
		return errkind.New(errkind.Internal, "marshal action result: %w", err)
	}
	if err := storage.PutBytes(ctx, a.e.cfg.ActionCache, d, data); err != nil {
		return fmt.Errorf("write action cache: %w", errkind.FromStatus(err))
	}
	return nil
}

// createOutputParents creates the working directory and the parent
// directories of every declared output, world-writable like the rest of
// the input root.
func createOutputParents(root string, cmd *remoteexecution.Command) error {
	workDir := filepath.Join(root, cmd.WorkingDirectory)
	if err := mkdirAll(root, workDir); err != nil {
		return errkind.New(errkind.Invalid, "working directory %q: %w", cmd.WorkingDirectory, err)
	}
	paths := append(append(append([]string(nil), cmd.OutputPaths...), cmd.OutputFiles...), cmd.OutputDirectories...)
	for _, p := range paths {
		full := filepath.Join(workDir, p)
		if full == root {
			// "." from the root, or ".." back up to it: the whole input
			// root is the output and has no parent to create.
			continue
		}
		if err := mkdirAll(root, filepath.Dir(full)); err != nil {
			return errkind.New(errkind.Invalid, "output path %q: %w", p, err)
		}
	}
	return nil
}

func mkdirAll(root, dir string) error {
	rel, err := filepath.Rel(root, dir)
	if err != nil || rel == ".." || len(rel) > 2 && rel[:3] == "../" {
		return errkind.New(errkind.Invalid, "it leaves the input root")
	}
	if rel == "." {
		return nil
	}
	if err := mkdirAll(root, filepath.Dir(dir)); err != nil {
		return err
	}
	err = os.Mkdir(dir, 0o777)
	if errors.Is(err, os.ErrExist) {
		// An input symlink here would make the next Mkdir create
		// directories wherever it points, as the worker's user.
		if info, err := os.Lstat(dir); err != nil || !info.IsDir() {
			return errkind.New(errkind.Invalid, "%q is not a directory", rel)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("create output directory: %w", err)
	}
	return os.Chmod(dir, 0o777)
}
