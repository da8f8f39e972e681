package configfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type sample struct {
	Name    string   `json:"name"`
	Timeout Duration `json:"timeout"`
}

func TestLoadEvaluatesJsonnet(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.jsonnet")
	if err := os.WriteFile(path, []byte("local n = 'a' + 'b'; { name: n, timeout: '1m30s' }"), 0o644); err != nil {
		t.Fatal(err)
	}
	var s sample
	if err := Load(path, &s); err != nil {
		t.Fatal(err)
	}
	if s.Name != "ab" || time.Duration(s.Timeout) != 90*time.Second {
		t.Fatalf("got %+v", s)
	}
}

func TestUnknownFieldIsNamed(t *testing.T) {
	var s sample
	err := LoadSnippet("test", "{ name: 'x', nmae: 'y' }", &s)
	if err == nil || !strings.Contains(err.Error(), "nmae") {
		t.Fatalf("error %v does not name the unknown field", err)
	}
}

func TestBadDuration(t *testing.T) {
	var s sample
	if err := LoadSnippet("test", "{ timeout: 30 }", &s); err == nil {
		t.Fatal("a number was accepted as a duration")
	}
	if err := LoadSnippet("test", "{ timeout: 'soon' }", &s); err == nil {
		t.Fatal("'soon' was accepted as a duration")
	}
}
