package escape

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/sandbarn/sandbarn/test/testenv/runnerfarm"
)

// farm is the runner farm of the suite plus a secret in /root that no
// action may read, and one in the worker's file cache.
type farm struct {
	*runnerfarm.Farm
	rootSecret string
}

const secretText = "sandbarn-escape-secret-7f3a"

// startFarm starts bb_runner as root or (rootless) as nobody, and plants
// the secrets.
func startFarm(t *testing.T, rootless bool) *farm {
	t.Helper()
	f := &farm{Farm: runnerfarm.Start(t, runnerfarm.Options{Rootless: rootless})}
	f.rootSecret = filepath.Join("/root", ".sandbarn-escape-"+strconv.Itoa(os.Getpid()))
	must(t, os.WriteFile(f.rootSecret, []byte(secretText), 0o600))
	t.Cleanup(func() { os.Remove(f.rootSecret) })
	must(t, os.WriteFile(filepath.Join(f.Cache, "secret"), []byte(secretText), 0o600))
	return f
}

// listen accepts TCP connections on the host's loopback and counts them.
func listen(t *testing.T) (string, func() int) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	accepted := make(chan struct{}, 100)
	go func() {
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			c.Close()
			accepted <- struct{}{}
		}
	}()
	t.Cleanup(func() { lis.Close() })
	return lis.Addr().String(), func() int { return len(accepted) }
}

var must = runnerfarm.Must
