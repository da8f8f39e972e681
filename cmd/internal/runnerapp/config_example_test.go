package runnerapp

import (
	"testing"

	"github.com/sandbarn/sandbarn/cmd/internal/configfile/configfiletest"
)

// The example sets every field of the configuration, so each is shown
// with its comment.
func TestExampleSetsEveryField(t *testing.T) {
	configfiletest.CheckExample(t, "../../../configs/bb_runner.jsonnet", Config{}, nil)
}
