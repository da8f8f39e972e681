package runnerapp

import (
	"context"
	"testing"
	"time"

	"github.com/sandbarn/sandbarn/errkind"
	rt "github.com/sandbarn/sandbarn/rootfs/registrytest"
	"github.com/sandbarn/sandbarn/sandbox/container"
)

func TestResolverHoldsImagesItHandedOut(t *testing.T) {
	reg := rt.New()
	defer reg.Close()
	layer, err := rt.Layer(rt.Dir("etc"), rt.File("etc/os-release", "ID=a\n"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := rt.Image(layer)
	if err != nil {
		t.Fatal(err)
	}
	reg.PushOrFail(t, "test/a:latest", img)
	image := "docker://" + reg.Host + "/test/a:latest"
	store := openStore(t, t.TempDir())
	now := time.Unix(1000, 0)
	fallbackCalls := 0
	fallback := func(ctx context.Context, image string) (container.Rootfs, error) {
		fallbackCalls++
		return container.Rootfs{Path: "/default"}, nil
	}
	resolve := imageResolver(store, fallback, time.Minute, func() time.Time { return now })

	if r, err := resolve(context.Background(), ""); err != nil || r.Path != "/default" || fallbackCalls != 1 {
		t.Fatalf("default: %v, %v", r, err)
	}
	r, err := resolve(context.Background(), image)
	if err != nil || r.Path == "" {
		t.Fatalf("image: %v, %v", r, err)
	}
	if err := store.Remove(image); !errkind.Is(err, errkind.Precondition) {
		t.Errorf("removing an image the resolver holds: %v", err)
	}
	now = now.Add(2 * time.Minute)
	resolve(context.Background(), "")
	if err := store.Remove(image); err != nil {
		t.Errorf("removing after the hold expired: %v", err)
	}
}
