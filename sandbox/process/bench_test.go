package process_test

import (
	"context"
	"testing"

	runnerpb "github.com/sandbarn/sandbarn/proto/runner"
)

// BenchmarkRunTrue measures the runner's overhead per action: /bin/true
// with stdout and stderr files, cleanup included.
func BenchmarkRunTrue(b *testing.B) {
	for _, mode := range modes {
		b.Run(mode, func(b *testing.B) {
			r, _ := newRunner(b, mode)
			req := &runnerpb.RunRequest{
				Arguments:          []string{"/bin/true"},
				InputRootDirectory: "root",
				StdoutPath:         "stdout",
				StderrPath:         "stderr",
			}
			for b.Loop() {
				resp, err := r.Run(context.Background(), req)
				if err != nil || resp.ExitCode != 0 {
					b.Fatal(resp, err)
				}
			}
		})
	}
}
