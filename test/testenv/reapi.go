package testenv

import (
	"context"
	"fmt"
	"time"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// ErrExited is returned by WaitForREAPI when the server's process ended.
var ErrExited = fmt.Errorf("the server exited before serving")

// WaitForREAPI polls GetCapabilities on addr until it answers (a listening
// socket alone does not mean the services are registered), the server's
// process exits (exited is closed) or timeout passes.
func WaitForREAPI(addr string, timeout time.Duration, exited <-chan struct{}) error {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	client := remoteexecution.NewCapabilitiesClient(conn)
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := client.GetCapabilities(ctx, &remoteexecution.GetCapabilitiesRequest{})
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return ErrExited
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer to GetCapabilities on %s after %v: %w", addr, timeout, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
