package e2e

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/durationpb"

	runnerpb "github.com/sandbarn/sandbarn/proto/runner"
	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
	"github.com/sandbarn/sandbarn/storage/grpcclient"
	testimages "github.com/sandbarn/sandbarn/test/images"
	"github.com/sandbarn/sandbarn/test/testenv"
)

// farmSlots is the worker's concurrency in TestImageActionsUnderLoad.
const farmSlots = 4

// TestImageActionsUnderLoad does what a user does: starts the farm,
// imports images with `sandbarn image import` (busybox-static alone, and
// a hostile image whose glibc loader and C library leave a marker), and
// sends actions on them back to back and from 8 clients at once, mixed
// with actions on the host rootfs. Every action must succeed with its own
// exit code and outputs, nearly all in prepared containers, and the
// hostile loader must never run.
func TestImageActionsUnderLoad(t *testing.T) {
	t.Parallel()
	if os.Getuid() != 0 {
		testenv.SkipOrFail(t, "the farm's container sandbox needs root")
	}
	base := testenv.TempDir(t, "sandbarn-e2e-imageload-")
	bin := buildProgram(t, "sandbarn", base)
	addr := loopbackAddr(freeLoopbackPort(t))
	dataDir := filepath.Join(base, "farm")
	startServer(t, "sandbarn farm", addr, bin, "farm", "--data-dir", dataDir, "--listen", addr,
		"--admin-listen", "", "--concurrency", fmt.Sprint(farmSlots))
	refs := []string{"", // the host rootfs
		importTestImage(t, bin, dataDir, base, "busybox", testimages.Busybox),
		importTestImage(t, bin, dataDir, base, "hostile", testimages.Hostile),
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := &farmClient{cas: grpcclient.NewCAS(conn, "", 1<<20), exe: remoteexecution.NewExecutionClient(conn)}
	// Back to back, every fourth action on the host rootfs.
	for i := 0; i < 40; i++ {
		c.run(t, refs[1+i%2], i, i%4 == 3)
	}
	// 8 clients at once.
	var wg sync.WaitGroup
	for k := 0; k < 8; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 15; i++ {
				c.run(t, refs[1+(i+k)%2], 100*(k+1)+i, i%5 == 4)
			}
		}()
	}
	wg.Wait()
	// A container is created for the first action of each image (and
	// the host rootfs) in each slot, and for an action whose slot's
	// container was still being prepared for another image.
	total, prepared := c.total.Load(), c.prepared.Load()
	t.Logf("%d actions, %d in prepared containers", total, prepared)
	if cold := total - prepared; cold > int64(2*farmSlots*len(refs)) {
		t.Errorf("%d of %d actions ran in containers created for them; the prepared path is not being taken", cold, total)
	}
}

// importTestImage builds a tree, writes it as an OCI layout and imports
// it into the farm's image store; it returns the container-image value.
func importTestImage(t *testing.T, bin, dataDir, base, name string, build func(string) error) string {
	t.Helper()
	tree := filepath.Join(base, name)
	if err := build(tree); err != nil {
		testenv.SkipOrFail(t, "test image %s: %v", name, err)
	}
	dir := filepath.Join(base, name+".oci")
	if err := testimages.TaggedLayout(tree, dir, "test.invalid/"+name+":v1"); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "image", "import", "--store", filepath.Join(dataDir, "images"), dir).CombinedOutput()
	if err != nil {
		t.Fatalf("sandbarn image import %s: %v\n%s", name, err, out)
	}
	lines := strings.Fields(string(out))
	return "docker://" + lines[len(lines)-1]
}

// farmClient sends actions as a REAPI client does and counts those the
// farm ran in prepared containers.
type farmClient struct {
	cas             storage.BlobAccess
	exe             remoteexecution.ExecutionClient
	total, prepared atomic.Int64
}

// run executes action i on image ref (the host rootfs if onHost) and
// checks its exit code, stdout and output file.
func (c *farmClient) run(t *testing.T, ref string, i int, onHost bool) {
	t.Helper()
	if onHost {
		ref = ""
	}
	text := fmt.Sprintf("action-%d", i)
	code := i % 7
	script := fmt.Sprintf("test -e /tmp/%s && echo MARKER-SEEN; test -e %s && echo MARKER-SEEN; echo %s > out.txt; echo %s; exit %d",
		testimages.HostileMarker, testimages.HostileMarker, text, text, code)
	var props map[string]string
	if ref != "" {
		props = map[string]string{"container-image": ref}
	}
	resp, stdout, out, err := c.runScript(script, props)
	if err != nil {
		t.Errorf("%s on %q: %v", text, ref, err)
		return
	}
	if resp.Result.ExitCode != int32(code) || stdout != text+"\n" || out != text+"\n" {
		t.Errorf("%s on %q: exit %d (want %d), stdout %q, out.txt %q", text, ref, resp.Result.ExitCode, code, stdout, out)
	}
	c.total.Add(1)
	env := executionEnvironment(resp.Result.ExecutionMetadata)
	if env.GetPrepared() {
		c.prepared.Add(1)
	}
	if env.GetContainerImage() != ref {
		t.Errorf("%s ran on %q, want %q", text, env.GetContainerImage(), ref)
	}
}

// runScript runs a shell script with platform properties (in
// Command.platform, as Bazel 4 sends them) and returns its result, its
// stdout and the contents of its output file out.txt.
func (c *farmClient) runScript(script string, props map[string]string) (*remoteexecution.ExecuteResponse, string, string, error) {
	cmd := &remoteexecution.Command{
		Arguments:            []string{"/bin/sh", "-c", script},
		EnvironmentVariables: []*remoteexecution.Command_EnvironmentVariable{{Name: "PATH", Value: "/bin:/usr/bin"}},
		OutputFiles:          []string{"out.txt"},
		OutputPaths:          []string{"out.txt"},
		Platform:             &remoteexecution.Platform{},
	}
	for _, name := range slices.Sorted(maps.Keys(props)) {
		cmd.Platform.Properties = append(cmd.Platform.Properties, &remoteexecution.Platform_Property{Name: name, Value: props[name]})
	}
	resp, err := c.execute(cmd)
	if err != nil {
		return nil, "", "", err
	}
	stdout, out := c.blob(resp.Result.StdoutDigest), ""
	if len(resp.Result.OutputFiles) == 1 {
		out = c.blob(resp.Result.OutputFiles[0].Digest)
	}
	return resp, stdout, out, nil
}

func (c *farmClient) execute(cmd *remoteexecution.Command) (*remoteexecution.ExecuteResponse, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmdDigest, err := storage.PutProto(ctx, c.cas, "", cmd)
	if err != nil {
		return nil, err
	}
	rootDigest, err := storage.PutProto(ctx, c.cas, "", &remoteexecution.Directory{})
	if err != nil {
		return nil, err
	}
	action := &remoteexecution.Action{CommandDigest: cmdDigest.Proto(), InputRootDigest: rootDigest.Proto(),
		DoNotCache: true, Timeout: durationpb.New(time.Minute)}
	actionDigest, err := storage.PutProto(ctx, c.cas, "", action)
	if err != nil {
		return nil, err
	}
	stream, err := c.exe.Execute(ctx, &remoteexecution.ExecuteRequest{ActionDigest: actionDigest.Proto(), SkipCacheLookup: true})
	if err != nil {
		return nil, err
	}
	for {
		op, err := stream.Recv()
		if err != nil {
			return nil, err
		}
		if !op.Done {
			continue
		}
		if op.GetError() != nil {
			return nil, fmt.Errorf("operation %s: %v", op.Name, op.GetError())
		}
		resp := &remoteexecution.ExecuteResponse{}
		if err := op.GetResponse().UnmarshalTo(resp); err != nil {
			return nil, err
		}
		if resp.Status.GetCode() != 0 {
			return nil, fmt.Errorf("status %v", resp.Status)
		}
		return resp, nil
	}
}

func (c *farmClient) blob(d *remoteexecution.Digest) string {
	if d == nil {
		return ""
	}
	dd, err := digest.FromProto("", remoteexecution.DigestFunction_SHA256, d)
	if err != nil {
		return err.Error()
	}
	b, err := storage.GetBytes(context.Background(), c.cas, dd, 1<<20)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// executionEnvironment finds what the runner reported about the sandbox
// in the result's auxiliary metadata.
func executionEnvironment(md *remoteexecution.ExecutedActionMetadata) *runnerpb.ExecutionEnvironment {
	env := &runnerpb.ExecutionEnvironment{}
	for _, a := range md.GetAuxiliaryMetadata() {
		if a.MessageIs(env) && a.UnmarshalTo(env) == nil {
			return env
		}
	}
	return nil
}
