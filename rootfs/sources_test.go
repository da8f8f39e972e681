package rootfs_test

import (
	"bytes"
	"context"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/sandbarn/sandbarn/rootfs"
	rt "github.com/sandbarn/sandbarn/rootfs/registrytest"
)

func TestMirrorIsTriedFirst(t *testing.T) {
	upstream := rt.New()
	defer upstream.Close()
	mirror := rt.New()
	defer mirror.Close()
	pinned := mirror.PushOrFail(t, "team/tool:1", fileImage(t, "mirrored", 10))
	s := openStore(t, rootfs.Config{Mirrors: map[string][]string{upstream.Host: {mirror.Host}}})
	tree, err := s.Acquire(context.Background(), "docker://"+upstream.Host+"/team/tool:1")
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Release()
	if want := upstream.Host + "/team/tool@" + pinned.DigestStr(); tree.Reference != want {
		t.Errorf("reference %q, want %q (the upstream name)", tree.Reference, want)
	}
	if n := upstream.Requests("GET manifests") + upstream.Requests("GET blobs"); n != 0 {
		t.Errorf("%d requests reached the upstream registry", n)
	}
}

func TestIndexPicksThePlatformImage(t *testing.T) {
	reg := rt.New()
	defer reg.Close()
	ours, other := fileImage(t, "ours", 10), fileImage(t, "other", 10)
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: other, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "s390x"}}},
		mutate.IndexAddendum{Add: ours, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: runtime.GOARCH}}},
	)
	tag, _ := name.NewTag(reg.Host + "/multi/img:latest")
	if err := remote.WriteIndex(tag, idx); err != nil {
		t.Fatal(err)
	}
	idxDigest, _ := idx.Digest()
	ourDigest, _ := ours.Digest()
	s := openStore(t, rootfs.Config{})
	tree, err := s.Acquire(context.Background(), "docker://"+tag.String())
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Release()
	if tree.Reference != tag.Context().Name()+"@"+idxDigest.String() {
		t.Errorf("reference %q, want the index digest %s", tree.Reference, idxDigest)
	}
	// The platform image's own digest finds the same tree.
	byImage, err := s.Acquire(context.Background(), "docker://"+tag.Context().Name()+"@"+ourDigest.String())
	if err != nil {
		t.Fatal(err)
	}
	defer byImage.Release()
	if byImage.Path != tree.Path {
		t.Errorf("image digest gave %s, index %s", byImage.Path, tree.Path)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestPullLogsProgress(t *testing.T) {
	reg := rt.New()
	defer reg.Close()
	reg.PushOrFail(t, "test/big:latest", bigImage(t, 16))
	var logs syncBuffer
	s := openStore(t, rootfs.Config{Logger: slog.New(slog.NewTextHandler(&logs, nil)), ProgressInterval: 5 * time.Millisecond})
	tree, err := s.Acquire(context.Background(), "docker://"+reg.Host+"/test/big:latest")
	if err != nil {
		t.Fatal(err)
	}
	tree.Release()
	out := logs.String()
	if !strings.Contains(out, "image pull in progress") || !strings.Contains(out, "layer=1/2") || !strings.Contains(out, "downloaded=") {
		t.Errorf("no progress lines in the log:\n%s", out)
	}
	if !strings.Contains(out, "image ready") {
		t.Errorf("no completion line in the log:\n%s", out)
	}
}
