package runnerserver_test

import (
	"context"
	"testing"
	"time"

	runnerpb "github.com/sandbarn/sandbarn/proto/runner"
)

// BenchmarkRunOverSocket measures one /bin/true action through the gRPC
// client, the UNIX socket and the process runner (process groups only).
func BenchmarkRunOverSocket(b *testing.B) {
	client, _, _ := startServer(b, time.Second)
	req := &runnerpb.RunRequest{
		Arguments:          []string{"/bin/true"},
		InputRootDirectory: "root",
		StdoutPath:         "stdout",
		StderrPath:         "stderr",
	}
	for b.Loop() {
		resp, err := client.Run(context.Background(), req)
		if err != nil || resp.ExitCode != 0 {
			b.Fatal(resp, err)
		}
	}
}
