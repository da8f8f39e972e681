package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/sandbarn/sandbarn/storage/grpcclient"
	"github.com/sandbarn/sandbarn/test/testenv"
)

// TestSandboxPropertiesReachTheRunner sends BuildStream's unixUID,
// unixGID and network properties to `sandbarn farm`: its scheduler must
// pass them to the runner (not route by them, which would leave the
// action waiting for a worker that offers them until the grace period
// ends), and the runner must apply or refuse them at once.
func TestSandboxPropertiesReachTheRunner(t *testing.T) {
	t.Parallel()
	if os.Getuid() != 0 {
		testenv.SkipOrFail(t, "the farm's container sandbox needs root")
	}
	base := testenv.TempDir(t, "sandbarn-e2e-properties-")
	f := startFarm(t, buildProgram(t, "sandbarn", base), filepath.Join(base, "data"))
	conn, err := grpc.NewClient(f.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := &farmClient{cas: grpcclient.NewCAS(conn, "", 1<<20), exe: remoteexecution.NewExecutionClient(conn)}

	cases := []struct {
		props  map[string]string
		script string
		want   string
		refuse string
	}{
		{map[string]string{"unixUID": "1234", "unixGID": "2345"}, "echo $(id -u) $(id -g) > out.txt", "1234 2345\n", ""},
		{map[string]string{"unixUID": "0"}, "id -u > out.txt", "0\n", ""},
		{map[string]string{"network": "off", "OSFamily": "linux"}, "ls /sys/class/net > out.txt", "lo\n", ""},
		{map[string]string{"network": "on"}, "true", "", "loopback"},
		{map[string]string{"unixUID": "99999999"}, "true", "", "unixUID"},
	}
	for _, tc := range cases {
		start := time.Now()
		_, _, out, err := c.runScript(tc.script, tc.props)
		took := time.Since(start)
		switch {
		case tc.refuse != "" && (err == nil || !strings.Contains(err.Error(), tc.refuse)):
			t.Errorf("%v: %v; want a refusal naming %s", tc.props, err, tc.refuse)
		case tc.refuse == "" && (err != nil || out != tc.want):
			t.Errorf("%v: out.txt %q, %v; want %q", tc.props, out, err, tc.want)
		}
		// The farm's grace for actions no worker can take is 30 s.
		if took > 15*time.Second {
			t.Errorf("%v took %v: routed as if a worker had to offer it", tc.props, took)
		}
		t.Logf("%v: %v", tc.props, took)
	}
}
