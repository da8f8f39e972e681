package images

import (
	"context"
	"fmt"
	"log"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// Select returns the definitions whose names are in only, or all of them
// when only is empty; an unknown name is an error, so a typo in `make
// images ONLY=...` does not silently build nothing.
func Select(defs []Definition, only []string) ([]Definition, error) {
	if len(only) == 0 {
		return defs, nil
	}
	byName := map[string]Definition{}
	for _, d := range defs {
		byName[d.Name] = d
	}
	var out []Definition
	for _, n := range only {
		d, ok := byName[n]
		if !ok {
			return nil, fmt.Errorf("no image definition named %q", n)
		}
		out = append(out, d)
	}
	return out, nil
}

// OverrideBases replaces the bases of the named definitions, given as
// "NAME=REF" pairs: sites that build their own Debian 8 or Ubuntu 16.04
// trees (images/recipes) put the runner on those instead of Google's.
func OverrideBases(defs []Definition, overrides []string) ([]Definition, error) {
	out := append([]Definition(nil), defs...)
	for _, o := range overrides {
		n, ref, ok := strings.Cut(o, "=")
		if !ok {
			return nil, fmt.Errorf("base override %q is not NAME=REF", o)
		}
		found := false
		for i := range out {
			if out[i].Name == n {
				out[i].Base, found = ref, true
			}
		}
		if !found {
			return nil, fmt.Errorf("base override %q: no image definition named %q", o, n)
		}
	}
	return out, nil
}

// BuildAll builds every definition and names it repository/NAME:tag.
func BuildAll(ctx context.Context, b *Builder, defs []Definition, repository, tag string) ([]Named, error) {
	var out []Named
	for _, d := range defs {
		ref, err := name.NewTag(repository + "/" + d.Name + ":" + tag)
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", d.Name, err)
		}
		img, err := b.Build(ctx, d)
		if err != nil {
			return nil, err
		}
		digest, err := img.Digest()
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", d.Name, err)
		}
		log.Printf("built %s@%s", ref, digest)
		out = append(out, Named{Ref: ref, Image: img})
	}
	return out, nil
}
