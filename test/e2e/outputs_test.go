package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// outputTree records every regular file under a bazel-bin directory as
// "sha256 mode". Runfiles trees are left out: they are symlinks into the
// output base, and their manifests name the output base, which differs
// between two builds by design.
func outputTree(t *testing.T, bin string) map[string]string {
	t.Helper()
	tree := map[string]string{}
	err := filepath.WalkDir(bin, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasSuffix(d.Name(), ".runfiles") {
			return filepath.SkipDir
		}
		if !d.Type().IsRegular() || strings.HasSuffix(d.Name(), ".runfiles_manifest") {
			return nil
		}
		rel, err := filepath.Rel(bin, p)
		if err != nil {
			return err
		}
		sum, err := fileDigest(p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		exec := "-"
		if info.Mode()&0o111 != 0 {
			exec = "x"
		}
		tree[rel] = sum + " " + exec
		return nil
	})
	if err != nil {
		t.Fatalf("walking %s: %v", bin, err)
	}
	return tree
}

func fileDigest(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// requireSameOutputs fails for every file missing from either tree or
// differing between them.
func requireSameOutputs(t *testing.T, wantName string, want map[string]string, gotName string, got map[string]string) {
	t.Helper()
	var paths []string
	for p := range want {
		paths = append(paths, p)
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	for _, p := range paths {
		w, inWant := want[p]
		g, inGot := got[p]
		switch {
		case !inWant:
			t.Errorf("%s: only in the %s build", p, gotName)
		case !inGot:
			t.Errorf("%s: missing from the %s build", p, gotName)
		case w != g:
			t.Errorf("%s differs: %s build %s, %s build %s", p, wantName, w, gotName, g)
		}
	}
	if len(want) == 0 {
		t.Errorf("the %s build has no outputs to compare", wantName)
	}
	t.Logf("compared %d output files of the %s and %s builds", len(want), wantName, gotName)
}

// requireExpectedContents checks outputs whose right content is known, so
// that two builds agreeing on a wrong result would still fail.
func requireExpectedContents(t *testing.T, bin string) {
	t.Helper()
	want := map[string][]string{
		"gen/shout.txt":           {"HELLO FROM SANDBARN"},
		"cc/calc_output.txt":      {"calc 1.2.3", "6 + 7 = 13", "6 * 7 = 42"},
		"many/many_digest.txt":    {fmt.Sprintf("files: %d", manyInputFiles)},
		"large/big_summary.txt":   {"121000000", "1011000000"},
		"tree/outdir_listing.txt": {"./sub/deeper/tool.sh", "./file_25.txt", "executable-ok"},
	}
	for rel, needles := range want {
		b, err := os.ReadFile(filepath.Join(bin, rel))
		if err != nil {
			t.Errorf("expected output: %v", err)
			continue
		}
		for _, n := range needles {
			if !strings.Contains(string(b), n) {
				t.Errorf("%s does not contain %q; it holds:\n%s", rel, n, b)
			}
		}
	}
	if info, err := os.Stat(filepath.Join(bin, "large/big.txt")); err != nil || info.Size() != 121000000 {
		t.Errorf("large/big.txt should hold 121000000 bytes: %v, %v", info, err)
	}
}
