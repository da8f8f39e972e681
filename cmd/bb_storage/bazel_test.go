package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestBazelRemoteCache runs a real client, Bazel 4.2 (Debian's
// bazel-bootstrap), against the bb_storage binary: after a clean, a
// rebuild must take every action from the cache.
func TestBazelRemoteCache(t *testing.T) {
	if testing.Short() {
		t.Skip("Bazel end-to-end test skipped in -short mode")
	}
	bazel, err := exec.LookPath("bazel")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("bazel not found; CI must install bazel-bootstrap")
		}
		t.Skip("bazel not found (apt-get install bazel-bootstrap)")
	}
	shared, err := filepath.Abs("../../../shared/bazel")
	if err != nil || !exists(shared) {
		t.Skipf("offline Bazel helpers not found at %s", shared)
	}
	tmp := t.TempDir()
	addr := startBBStorage(t, tmp)
	ws := filepath.Join(tmp, "ws")
	writeWorkspace(t, ws, shared)
	root := filepath.Join(tmp, "bazel-root")
	run := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bazel, append([]string{"--output_user_root=" + root}, args...)...)
		cmd.Dir = ws
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("bazel %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	defer run("shutdown")
	flags := []string{"build", "--remote_cache=grpc://" + addr, "--remote_instance_name=ci/bazel", "//..."}
	run(flags...)
	run("clean")
	out := run(flags...)
	m := regexp.MustCompile(`(\d+) remote cache hit`).FindStringSubmatch(out)
	if m == nil || m[1] != "4" || strings.Contains(out, "linux-sandbox") || strings.Contains(out, "processwrapper-sandbox") {
		t.Fatalf("rebuild after clean was not served from the cache:\n%s", out)
	}
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// startBBStorage builds and starts bb_storage on a free loopback port and
// returns its address; it is stopped with SIGTERM at the end of the test.
func startBBStorage(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "bb_storage")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cfg := filepath.Join(dir, "bb_storage.jsonnet")
	src := fmt.Sprintf(`{grpcListenAddress: '127.0.0.1:0', maxMessageSizeBytes: 16777216, uploadDirectory: '%[1]s/uploads',
  cas: {directory: '%[1]s/cas', maxSizeBytes: 1073741824}, actionCache: {directory: '%[1]s/ac', maxSizeBytes: 67108864}}`, dir)
	if err := os.WriteFile(cfg, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, cfg)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	})
	lines := bufio.NewScanner(stderr)
	for lines.Scan() {
		if _, addr, ok := strings.Cut(lines.Text(), "serving on "); ok {
			go func() {
				for lines.Scan() {
				}
			}()
			return addr
		}
	}
	t.Fatal("bb_storage exited before serving")
	return ""
}

func writeWorkspace(t *testing.T, ws, shared string) {
	t.Helper()
	files := map[string]string{
		"WORKSPACE": `workspace(name = "demo")` + "\n",
		".bazelrc": fmt.Sprintf("common --override_repository=rules_cc=%[1]s/rules_cc\n"+
			"common --override_repository=rules_java=%[1]s/rules_java\n"+
			"common --override_repository=remote_coverage_tools=%[1]s/remote_coverage_tools\n"+
			"build --nosandbox_debug\n", shared),
		"BUILD": `genrule(name = "a", outs = ["a.txt"], cmd = "echo hello > $@")
genrule(name = "b", srcs = [":a"], outs = ["b.txt"], cmd = "cat $< $< > $@")
cc_binary(name = "hello", srcs = ["hello.c"])
`,
		"hello.c": "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n",
	}
	if err := os.MkdirAll(ws, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(ws, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
