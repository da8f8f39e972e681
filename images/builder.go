package images

import (
	"context"
	"fmt"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// Builder turns Definitions into images. Each program is compiled once,
// however many images hold it.
type Builder struct {
	Compiler GoCompiler
	Bases    BaseSource
	// WorkDir holds the compiled binaries; it must outlive the images,
	// whose layers read the binaries when they are written out.
	WorkDir string
	built   map[string]string
}

// NewBuilder is the Builder to use for `make images`: binaries go to a
// fresh directory below workDir.
func NewBuilder(compiler GoCompiler, bases BaseSource, workDir string) (*Builder, error) {
	if err := os.MkdirAll(workDir, 0o755); err != nil {
		return nil, err
	}
	return &Builder{Compiler: compiler, Bases: bases, WorkDir: workDir, built: map[string]string{}}, nil
}

// Build returns the image of d: its base plus one layer with the
// programs, the entrypoint and the environment set.
func (b *Builder) Build(ctx context.Context, d Definition) (v1.Image, error) {
	if len(d.Programs) == 0 {
		return nil, fmt.Errorf("image %s: no programs", d.Name)
	}
	base, err := b.Bases.Image(d.Base)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", d.Name, err)
	}
	files, err := b.programFiles(ctx, d.Programs)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", d.Name, err)
	}
	layer, err := FilesLayer(files)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", d.Name, err)
	}
	img, err := mutate.AppendLayers(base, layer)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", d.Name, err)
	}
	return b.configure(img, d)
}

func (b *Builder) programFiles(ctx context.Context, programs []Program) ([]File, error) {
	var files []File
	for _, p := range programs {
		bin, ok := b.built[p.Name]
		if !ok {
			var err error
			if bin, err = b.Compiler.Build(ctx, p, b.WorkDir); err != nil {
				return nil, err
			}
			b.built[p.Name] = bin
		}
		files = append(files, File{Source: bin, Path: programDir + "/" + p.Name, Mode: 0o755})
	}
	return files, nil
}

// configure sets the entrypoint and appends to the base's environment,
// keeping whatever else the base configures (PATH of the RBE images).
func (b *Builder) configure(img v1.Image, d Definition) (v1.Image, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", d.Name, err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config.Entrypoint = d.Entrypoint()
	cf.Config.Cmd = nil
	cf.Config.WorkingDir = "/"
	cf.Config.Env = append(cf.Config.Env, d.Env...)
	if cf.Config.Labels == nil {
		cf.Config.Labels = map[string]string{}
	}
	cf.Config.Labels["org.opencontainers.image.title"] = d.Name
	if d.Base != "" {
		cf.Config.Labels["org.opencontainers.image.base.name"] = d.Base
	}
	return mutate.ConfigFile(img, cf)
}
