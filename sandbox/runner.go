package sandbox

import (
	"context"

	runnerpb "github.com/sandbarn/sandbarn/proto/runner"
)

// Runner executes one command per request and returns once every process
// the command started has ended. A non-zero exit code is a result, not an
// error; an error means the request could not run, and has a kind (see
// errkind).
type Runner interface {
	CheckReadiness(ctx context.Context, req *runnerpb.CheckReadinessRequest) error
	Run(ctx context.Context, req *runnerpb.RunRequest) (*runnerpb.RunResponse, error)
}
