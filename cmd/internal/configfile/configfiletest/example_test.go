package configfiletest

import (
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/sandbarn/sandbarn/cmd/internal/configfile"
)

type sample struct {
	Name    string              `json:"name"`
	Timeout configfile.Duration `json:"timeout"`
	Labels  map[string]string   `json:"labels"`
	Inner   *inner              `json:"inner,omitempty"`
	Modes   []mode              `json:"modes"`
	Hidden  string              `json:"-"`
	private string
}

type inner struct {
	Address string `json:"address"`
	Size    int64  `json:"size"`
}

type mode struct {
	Prefix string `json:"prefix"`
	Mode   string `json:"mode"`
}

func writeExample(t *testing.T, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "example.jsonnet")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestFields(t *testing.T) {
	got := Fields(reflect.TypeFor[sample]())
	want := []string{"name", "timeout", "labels", "inner", "inner.address", "inner.size", "modes", "modes.prefix", "modes.mode"}
	if !slices.Equal(got, want) {
		t.Fatalf("fields %v, want %v", got, want)
	}
}

func TestUnsetLooksIntoObjectsAndLists(t *testing.T) {
	path := writeExample(t, `{ name: 'a', labels: { x: 'y' }, inner: { address: 'b' },
		modes: [{ prefix: '' }, { mode: 'image' }] }`)
	got, err := Unset(path, sample{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"timeout", "inner.size"}; !slices.Equal(got, want) {
		t.Fatalf("unset %v, want %v", got, want)
	}
}

func TestCheckExample(t *testing.T) {
	path := writeExample(t, `{ name: 'a', timeout: '1s', labels: {}, modes: [{ prefix: '', mode: 'image' }] }`)
	CheckExample(t, path, sample{}, map[string]string{"inner": "optional"})

	for name, c := range map[string]struct {
		src     string
		leftOut map[string]string
	}{
		"a field unset":              {`{ name: 'a', labels: {}, modes: [] }`, map[string]string{"inner": "optional"}},
		"a field unknown":            {`{ name: 'a', timeout: '1s', labels: {}, modes: [], inner: {address: '', size: 1}, extra: 1 }`, nil},
		"a left-out name is a field": {`{ name: 'a', timeout: '1s', labels: {}, modes: [], inner: {address: '', size: 1} }`, map[string]string{"inenr": "typo"}},
	} {
		rec := &recorder{TB: t}
		func() {
			defer func() { _ = recover() }()
			CheckExample(rec, writeExample(t, c.src), sample{}, c.leftOut)
		}()
		if !rec.failed {
			t.Errorf("%s: CheckExample passed", name)
		}
	}
}

// recorder notes failures instead of failing the test; Fatalf panics to
// stop the check like a real Fatalf stops its goroutine.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(string, ...any) { r.failed = true }

func (r *recorder) Fatalf(string, ...any) {
	r.failed = true
	panic("fatal")
}

func (r *recorder) Fatal(...any) {
	r.failed = true
	panic("fatal")
}

func TestLeftOutUnder(t *testing.T) {
	got := LeftOutUnder([]string{"a", "b"}, []string{"x", "y"}, "r")
	want := map[string]string{"a.x": "r", "a.y": "r", "b.x": "r", "b.y": "r"}
	if !maps.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}
