package runnerapp

import (
	"os"
	"testing"

	"github.com/sandbarn/sandbarn/sandbox/container"
)

func TestMain(m *testing.M) {
	// The container runner re-executes the test binary to start each
	// sandbox.
	container.Init()
	os.Exit(m.Run())
}
