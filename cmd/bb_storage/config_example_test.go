package main

import (
	"testing"

	"github.com/sandbarn/sandbarn/cmd/internal/configfile/configfiletest"
)

// The example sets every field of the configuration, so each is shown
// with its comment, except the backends it does not choose.
func TestExampleSetsEveryField(t *testing.T) {
	stores := []string{"blobstore.contentAddressableStorage", "blobstore.actionCache"}
	leftOut := configfiletest.LeftOutUnder(stores, []string{"grpc", "memory"},
		"each store sets one backend; the example's is local, and the comment on blobstore shows the others")
	configfiletest.CheckExample(t, "../../configs/bb_storage.jsonnet", config{}, leftOut)
}
