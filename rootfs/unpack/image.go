package unpack

import (
	"context"
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Image applies every layer of img to dir, bottom layer first. dir should
// be a new, empty directory that nothing else writes to while this runs:
// the checks against symbolic links rely on that.
func Image(ctx context.Context, img v1.Image, dir string, opts Options) error {
	layers, err := img.Layers()
	if err != nil {
		return fmt.Errorf("listing layers: %w", err)
	}
	for i, layer := range layers {
		if err := applyLayer(ctx, layer, dir, i, opts); err != nil {
			return err
		}
	}
	return nil
}

func applyLayer(ctx context.Context, layer v1.Layer, dir string, index int, opts Options) error {
	// Uncompressed picks gzip, zstd or none from the media type and the
	// stream's magic bytes; layers fetched by digest are verified as read.
	rc, err := layer.Uncompressed()
	if err != nil {
		return fmt.Errorf("layer %d: %w", index, err)
	}
	defer rc.Close()
	if err := Layer(ctx, rc, dir, index, opts); err != nil {
		return err
	}
	// Drain the rest (tar padding) so the digest check sees the whole
	// stream and reports a corrupt layer.
	if _, err := io.Copy(io.Discard, rc); err != nil {
		return fmt.Errorf("layer %d: %w", index, err)
	}
	return nil
}
