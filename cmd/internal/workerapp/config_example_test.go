package workerapp

import (
	"maps"
	"testing"

	"github.com/sandbarn/sandbarn/cmd/internal/configfile/configfiletest"
)

// The example sets every field of the configuration, so each is shown
// with its comment, except the storage backends it does not choose and
// their optional fields.
func TestExampleSetsEveryField(t *testing.T) {
	leftOut := configfiletest.LeftOutUnder([]string{"blobstore.contentAddressableStorage", "blobstore.actionCache"}, []string{"local", "memory"},
		"each store sets one backend; a split deployment's worker uses grpc to bb_storage")
	maps.Copy(leftOut, configfiletest.LeftOutUnder(
		[]string{"blobstore.contentAddressableStorage.grpc", "blobstore.actionCache.grpc"}, []string{"instanceNamePrefix", "maxBatchBytes"},
		"optional, documented on storage/configuration.GRPCConfiguration; the comment on the example's storage names maxBatchBytes"))
	configfiletest.CheckExample(t, "../../../configs/bb_worker.jsonnet", Config{}, leftOut)
}
