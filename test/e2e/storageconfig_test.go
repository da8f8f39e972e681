package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-jsonnet"
)

// defaultGRPCPort is the REAPI port of Sandbarn's example configurations.
const defaultGRPCPort = 8980

// storageConfig turns the repository's example bb_storage configuration
// (configs/bb_storage.jsonnet) into one the test can run next to anything
// else on the machine, without knowing the configuration's schema:
//
//   - every listen address "HOST:PORT" or ":PORT" moves to 127.0.0.1 and a
//     free port; the one on port 8980 (or the only port, if there is just
//     one) is the REAPI port the test returns;
//   - every string under a key that names a path (path, dir, directory,
//     file, root, socket) is re-rooted under dataDir, so nothing is
//     written outside the test's temporary directory.
//
// The contract with cmd/bb_storage is Buildbarn's: the program takes the
// configuration file as its only argument.
type storageConfig struct {
	t        *testing.T
	dataDir  string
	ports    map[int]int
	grpcPort int
}

var listenAddress = regexp.MustCompile(`^(\[[0-9a-fA-F:]*\]|[0-9A-Za-z.-]*):([0-9]{1,5})$`)

// writeStorageConfig evaluates the example configuration, rewrites it and
// stores it as JSON (which is valid Jsonnet) in dataDir. It returns the
// file's path and the REAPI address.
func writeStorageConfig(t *testing.T, example, dataDir string) (path, addr string) {
	t.Helper()
	js, err := jsonnet.MakeVM().EvaluateFile(example)
	if err != nil {
		t.Fatalf("evaluating %s: %v", example, err)
	}
	var cfg any
	if err := json.Unmarshal([]byte(js), &cfg); err != nil {
		t.Fatal(err)
	}
	c := &storageConfig{t: t, dataDir: dataDir, ports: map[int]int{}}
	cfg = c.rewrite("", cfg)
	c.pickGRPCPort(example)
	out, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(dataDir, "bb_storage.json")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("bb_storage configuration derived from %s:\n%s", example, out)
	return path, loopbackAddr(c.grpcPort)
}

func (c *storageConfig) rewrite(key string, v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			v[k] = c.rewrite(k, child)
		}
		return v
	case []any:
		for i, child := range v {
			v[i] = c.rewrite(key, child)
		}
		return v
	case string:
		return c.rewriteString(key, v)
	default:
		return v
	}
}

func (c *storageConfig) rewriteString(key, s string) string {
	if m := listenAddress.FindStringSubmatch(s); m != nil {
		port, _ := strconv.Atoi(m[2])
		if _, ok := c.ports[port]; !ok {
			c.ports[port] = freeLoopbackPort(c.t)
		}
		return loopbackAddr(c.ports[port])
	}
	if namesPath(key) && s != "" {
		return filepath.Join(c.dataDir, filepath.Clean("/"+s))
	}
	return s
}

func namesPath(key string) bool {
	k := strings.ToLower(key)
	for _, hint := range []string{"path", "dir", "file", "root", "socket"} {
		if strings.Contains(k, hint) {
			return true
		}
	}
	return false
}

func (c *storageConfig) pickGRPCPort(example string) {
	c.t.Helper()
	if p, ok := c.ports[defaultGRPCPort]; ok {
		c.grpcPort = p
		return
	}
	if len(c.ports) == 1 {
		for _, p := range c.ports {
			c.grpcPort = p
		}
		return
	}
	c.t.Fatalf("%s: cannot tell the REAPI listen address: expected one on port %d, found ports %v",
		example, defaultGRPCPort, c.ports)
}
