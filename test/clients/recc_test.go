package clients

import (
	"bytes"
	"context"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sandbarn/sandbarn/test/testenv"
)

// TestReccCompile compiles a C file that includes a header through recc
// on the farm's default instance, in an image of the client root, and
// expects the same object file as gcc compiling it locally there.
func TestReccCompile(t *testing.T) {
	c := newClient(t)
	image := clientRootImageRef(t, c.root)
	f := startFarm(t, c.shared)
	for _, dir := range []string{"remote", "local"} {
		if out, err := exec.Command("cp", "-a", filepath.Join("testdata", "recc"), c.hostPath(dir)).CombinedOutput(); err != nil {
			t.Fatalf("copying the sources: %v\n%s", err, out)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	// Not RECC_FORCE_REMOTE: recc 1.4.30 (sid) then treats the compile as an opaque
	// command and sends an empty input root (seen with RECC_NO_EXECUTE and
	// RECC_LOG_LEVEL=trace). A compile command goes remote anyway, and
	// without RECC_FALLBACK_TO_LOCAL a failed remote execution fails recc;
	// the log lines checked below prove the action ran on the farm.
	env := []string{
		"RECC_SERVER=" + f.url(),
		"RECC_INSTANCE=",
		"RECC_REMOTE_PLATFORM_container-image=" + image,
		"RECC_LOG_LEVEL=info",
	}
	compile := []string{"/usr/bin/gcc", "-c", "hello.c", "-o", "hello.o"}
	// env(1) after the shell: dash drops variables whose names are not
	// shell identifiers, like RECC_REMOTE_PLATFORM_container-image.
	argv := append(append(append([]string{"env"}, env...), "recc"), compile...)
	r := c.run(ctx, nil, inDir("/work/remote", argv...)...)
	if r.exitCode != 0 {
		t.Fatalf("recc exited with %d:\n%s", r.exitCode, testenv.Tail(r.output))
	}
	for _, want := range []string{"Executing action remotely", "Remote execution finished with exit code 0"} {
		if !strings.Contains(r.output, want) {
			t.Fatalf("recc's log lacks %q: the compile did not run on the farm\n%s", want, testenv.Tail(r.output))
		}
	}
	r = c.run(ctx, nil, inDir("/work/local", compile...)...)
	if r.exitCode != 0 {
		t.Fatalf("local gcc exited with %d:\n%s", r.exitCode, testenv.Tail(r.output))
	}
	remote := readFile(t, c.hostPath("remote/hello.o"))
	local := readFile(t, c.hostPath("local/hello.o"))
	if !bytes.Equal(remote, local) {
		t.Fatalf("the object file recc got back (%d bytes, compiler %q) differs from the local compile (%d bytes, compiler %q)",
			len(remote), compilerComment(remote), len(local), compilerComment(local))
	}
}

// compilerComment is the .comment section gcc writes into an object file,
// which names the compiler's version: the usual reason two compiles of one
// source differ is that different compilers ran them.
func compilerComment(object []byte) string {
	f, err := elf.NewFile(bytes.NewReader(object))
	if err != nil {
		return "not ELF: " + err.Error()
	}
	s := f.Section(".comment")
	if s == nil {
		return "no .comment"
	}
	data, err := s.Data()
	if err != nil {
		return err.Error()
	}
	return strings.Trim(string(data), "\x00")
}

// inDir wraps argv to run in dir inside the client root.
func inDir(dir string, argv ...string) []string {
	return append([]string{"sh", "-c", `cd "$1" && shift && exec "$@"`, "sh", dir}, argv...)
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
