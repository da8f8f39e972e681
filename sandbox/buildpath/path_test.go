package buildpath_test

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	runnerpb "github.com/sandbarn/sandbarn/proto/runner"
	"github.com/sandbarn/sandbarn/sandbox/buildpath"
)

func TestJoin(t *testing.T) {
	good := map[string]string{
		"":         "/b",
		".":        "/b",
		"a/b":      "/b/a/b",
		"a/../c":   "/b/c",
		"./x//y/":  "/b/x/y",
		"..foo/ok": "/b/..foo/ok",
	}
	for rel, want := range good {
		got, err := buildpath.Join("/b", "f", rel)
		if err != nil || got != want {
			t.Errorf("Join(%q) = %q, %v; want %q", rel, got, err, want)
		}
	}
	for _, rel := range []string{"/etc", "..", "../x", "a/../../x", "a/\x00"} {
		_, err := buildpath.Join("/b", "f", rel)
		if status.Code(err) != codes.InvalidArgument {
			t.Errorf("Join(%q) error = %v; want InvalidArgument", rel, err)
		}
	}
}

func TestResolve(t *testing.T) {
	req := &runnerpb.RunRequest{
		Arguments:          []string{"true"},
		InputRootDirectory: "1/root",
		WorkingDirectory:   "pkg",
		StdoutPath:         "1/stdout",
		TemporaryDirectory: "1/tmp",
	}
	p, err := buildpath.Resolve("/build", req)
	if err != nil {
		t.Fatal(err)
	}
	want := buildpath.Paths{
		InputRoot:        "/build/1/root",
		WorkingDirectory: "/build/1/root/pkg",
		Stdout:           "/build/1/stdout",
		Temporary:        "/build/1/tmp",
	}
	if *p != want {
		t.Errorf("Resolve = %+v; want %+v", *p, want)
	}
}

func TestResolveRejects(t *testing.T) {
	base := func() *runnerpb.RunRequest {
		return &runnerpb.RunRequest{Arguments: []string{"true"}, InputRootDirectory: "root"}
	}
	cases := map[string]func(r *runnerpb.RunRequest){
		"no arguments":        func(r *runnerpb.RunRequest) { r.Arguments = nil },
		"empty program":       func(r *runnerpb.RunRequest) { r.Arguments = []string{""} },
		"no input root":       func(r *runnerpb.RunRequest) { r.InputRootDirectory = "" },
		"absolute input root": func(r *runnerpb.RunRequest) { r.InputRootDirectory = "/root" },
		"working dir escapes": func(r *runnerpb.RunRequest) { r.WorkingDirectory = "a/../../b" },
		"stdout escapes":      func(r *runnerpb.RunRequest) { r.StdoutPath = "../stdout" },
		"stderr absolute":     func(r *runnerpb.RunRequest) { r.StderrPath = "/tmp/stderr" },
		"tmp escapes":         func(r *runnerpb.RunRequest) { r.TemporaryDirectory = ".." },
		"server logs":         func(r *runnerpb.RunRequest) { r.ServerLogsDirectory = "/var/log" },
	}
	for name, mutate := range cases {
		req := base()
		mutate(req)
		if _, err := buildpath.Resolve("/build", req); status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: error = %v; want InvalidArgument", name, err)
		}
	}
}
