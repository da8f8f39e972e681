package rootfs_test

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/compression"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/sandbarn/sandbarn/errkind"
	"github.com/sandbarn/sandbarn/rootfs"
	rt "github.com/sandbarn/sandbarn/rootfs/registrytest"
)

// bigImage has two layers of incompressible data, so a pull takes long
// enough to interrupt.
func bigImage(t *testing.T, mb int) v1.Image {
	t.Helper()
	var layers []v1.Layer
	for i := 0; i < 2; i++ {
		data := make([]byte, mb<<20)
		rand.Read(data)
		l, err := rt.LayerWith(compression.GZip, rt.Dir("data"), rt.Entry{Name: "data/blob" + string(rune('0'+i)), Body: data})
		if err != nil {
			t.Fatal(err)
		}
		layers = append(layers, l)
	}
	img, err := rt.Image(layers...)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// assertNothingComplete checks that a store directory holds no tree and
// no leftovers once reopened.
func assertNothingComplete(t *testing.T, dir string) {
	t.Helper()
	s := openStore(t, rootfs.Config{Directory: dir})
	if images, err := s.List(); err != nil || len(images) != 0 {
		t.Errorf("store lists %v, %v after an interrupted unpack", images, err)
	}
	for _, sub := range []string{"trees", "tmp"} {
		if entries, _ := os.ReadDir(filepath.Join(dir, sub)); len(entries) != 0 {
			t.Errorf("%s/ holds %d entries", sub, len(entries))
		}
	}
}

type cancelAfter struct {
	limit  int64
	read   atomic.Int64
	cancel context.CancelFunc
}

func (c *cancelAfter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil {
		resp.Body = &cancellingBody{resp.Body, c}
	}
	return resp, err
}

type cancellingBody struct {
	io.ReadCloser
	c *cancelAfter
}

func (b *cancellingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if b.c.read.Add(int64(n)) > b.c.limit {
		b.c.cancel()
	}
	return n, err
}

func TestCancelledUnpackLeavesNoTree(t *testing.T) {
	reg := rt.New()
	defer reg.Close()
	reg.PushOrFail(t, "test/big:latest", bigImage(t, 8))
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	ca := &cancelAfter{limit: 4 << 20, cancel: cancel}
	s := openStore(t, rootfs.Config{Directory: dir, Transport: ca})
	_, err := s.Acquire(ctx, "docker://"+reg.Host+"/test/big:latest")
	if !errkind.Is(err, errkind.Canceled) {
		t.Fatalf("got %v, want Canceled", err)
	}
	// The work goes on briefly after the caller leaves; wait for it.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if entries, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(entries) == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	assertNothingComplete(t, dir)
}

// TestCrashedUnpackLeavesNoTree kills a process in the middle of an
// unpack; a store reopened on its directory holds nothing.
func TestCrashedUnpackLeavesNoTree(t *testing.T) {
	if os.Getenv("ROOTFS_CRASH_HELPER") != "" {
		s, err := rootfs.Open(rootfs.Config{Directory: os.Getenv("ROOTFS_CRASH_DIR"), Logger: quietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		s.Acquire(context.Background(), os.Getenv("ROOTFS_CRASH_HELPER"))
		return
	}
	reg := rt.New()
	defer reg.Close()
	reg.PushOrFail(t, "test/big:latest", bigImage(t, 16))
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashedUnpackLeavesNoTree$")
	cmd.Env = append(os.Environ(), "ROOTFS_CRASH_HELPER=docker://"+reg.Host+"/test/big:latest", "ROOTFS_CRASH_DIR="+dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it once the unpack has written part of the first layer.
	deadline := time.Now().Add(20 * time.Second)
	for killed := false; !killed; {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the helper never started unpacking")
		}
		matches, _ := filepath.Glob(filepath.Join(dir, "tmp", "*", "rootfs", "data", "blob0"))
		if len(matches) > 0 {
			if info, err := os.Stat(matches[0]); err == nil && info.Size() > 0 {
				cmd.Process.Kill()
				killed = true
			}
		}
		time.Sleep(time.Millisecond)
	}
	var exitErr *exec.ExitError
	if err := cmd.Wait(); !errors.As(err, &exitErr) {
		t.Fatalf("helper ended with %v; want it killed", err)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "trees")); len(entries) != 0 {
		t.Skip("the helper finished before it was killed; machine too fast for this test")
	}
	assertNothingComplete(t, dir)
}
