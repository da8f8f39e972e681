package worker

import (
	"context"
	"testing"
	"time"

	remoteexecution "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"github.com/sandbarn/sandbarn/storage"
	"github.com/sandbarn/sandbarn/storage/digest"
	"google.golang.org/grpc/codes"
)

// buildStreamCommand is shaped like what BuildStream 2 sends through
// buildbox-casd: unsorted environment, a nested working directory that
// does not exist in the input root, output_paths with "." and a path
// climbing back up with "..", and DIRECTORY_ONLY.
func buildStreamCommand(outputs ...string) *remoteexecution.Command {
	return &remoteexecution.Command{
		Arguments: sh(`echo "$ZED$ALPHA" > made && mkdir -p ../../../top && echo x > ../../../top/y`),
		EnvironmentVariables: []*remoteexecution.Command_EnvironmentVariable{
			{Name: "ZED", Value: "z"}, {Name: "ALPHA", Value: "a"},
		},
		WorkingDirectory:      "buildstream/project/element",
		OutputPaths:           outputs,
		OutputDirectoryFormat: remoteexecution.Command_DIRECTORY_ONLY,
	}
}

func TestExecuteBuildStreamShapedAction(t *testing.T) {
	env := newTestEnv(t)
	desired := env.action(buildStreamCommand(".", "../../../top"), &remoteexecution.Directory{}, time.Minute, false)
	resp, _ := env.execute(desired)
	if resp.Status.GetCode() != 0 || resp.Result.ExitCode != 0 {
		t.Fatalf("status %v, exit code %d, stderr %v", resp.Status, resp.Result.GetExitCode(), resp.Result.GetStderrDigest())
	}
	dirs := map[string]*remoteexecution.OutputDirectory{}
	for _, d := range resp.Result.OutputDirectories {
		dirs[d.Path] = d
	}
	if len(resp.Result.OutputFiles) != 0 || len(dirs) != 2 || dirs["."] == nil || dirs["../../../top"] == nil {
		t.Fatalf("outputs %v", resp.Result)
	}
	// DIRECTORY_ONLY: the root Directory is stored on its own and names
	// the file the action made, with the unsorted variables both set.
	root := env.directory(dirs["."].RootDirectoryDigest)
	if len(root.Files) != 1 || root.Files[0].Name != "made" || env.read(root.Files[0].Digest) != "za\n" {
		t.Fatalf("working directory output %v", root)
	}
	top := env.directory(dirs["../../../top"].RootDirectoryDigest)
	if len(top.Files) != 1 || top.Files[0].Name != "y" {
		t.Fatalf("output reached through .. %v", top)
	}
}

// "." from an empty working directory is the whole input root.
func TestExecuteWholeInputRootAsOutput(t *testing.T) {
	env := newTestEnv(t)
	cmd := &remoteexecution.Command{Arguments: sh("mkdir sub && echo hi > sub/f"), OutputPaths: []string{"."},
		OutputDirectoryFormat: remoteexecution.Command_TREE_AND_DIRECTORY}
	desired := env.action(cmd, &remoteexecution.Directory{Files: []*remoteexecution.FileNode{env.file("in", "i", false)}}, time.Minute, false)
	resp, _ := env.execute(desired)
	if resp.Status.GetCode() != 0 || len(resp.Result.OutputDirectories) != 1 {
		t.Fatalf("status %v, result %v", resp.Status, resp.Result)
	}
	out := resp.Result.OutputDirectories[0]
	root := env.directory(out.RootDirectoryDigest)
	if len(root.Files) != 1 || len(root.Directories) != 1 || root.Directories[0].Name != "sub" {
		t.Fatalf("root directory %v", root)
	}
	// Each Directory is stored, so a client can walk the hierarchy.
	if sub := env.directory(root.Directories[0].Digest); len(sub.Files) != 1 {
		t.Fatalf("subdirectory %v", sub)
	}
	if out.TreeDigest == nil {
		t.Fatal("TREE_AND_DIRECTORY without a Tree")
	}
}

func TestExecuteRejectsOutputsLeavingTheInputRoot(t *testing.T) {
	for _, outputs := range [][]string{{"../../../../escape"}, {"../../../.."}} {
		env := newTestEnv(t)
		resp, _ := env.execute(env.action(buildStreamCommand(outputs...), &remoteexecution.Directory{}, time.Minute, false))
		if codes.Code(resp.Status.GetCode()) != codes.InvalidArgument {
			t.Errorf("outputs %q: status %v, want InvalidArgument", outputs, resp.Status)
		}
	}
}

func (env *testEnv) directory(d *remoteexecution.Digest) *remoteexecution.Directory {
	env.t.Helper()
	if d == nil {
		env.t.Fatal("no root directory digest")
	}
	dg, err := digest.FromProto("prefix/suffix", 0, d)
	if err != nil {
		env.t.Fatal(err)
	}
	out := &remoteexecution.Directory{}
	if err := storage.GetProto(context.Background(), env.cas, dg, 1<<20, out); err != nil {
		env.t.Fatalf("read directory %v: %v", d, err)
	}
	return out
}
