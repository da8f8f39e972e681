package rootfs

import (
	"context"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// fetch makes ref available in the store: another process may have put it
// there, a tag may resolve to a digest already stored, or it is pulled.
func (s *Store) fetch(ctx context.Context, value string, ref name.Reference) error {
	s.mu.Lock()
	err := s.loadLocked()
	found := s.idx.lookup(ref) != nil
	s.mu.Unlock()
	if err != nil || found {
		return err
	}
	p := newProgress(value, s.cfg.Logger)
	desc, err := s.resolve(ctx, ref, p)
	if err != nil {
		return &phaseError{"pull", err}
	}
	digest := desc.Digest.String()
	names := []string{ref.Name(), pinned(ref.Context(), digest)}
	if s.addNames(digest, names) {
		return nil
	}
	return s.flights.do(ctx, "digest "+digest, func(ctx context.Context) error {
		if s.addNames(digest, names) {
			return nil
		}
		img, err := desc.Image() // for an index, the image of our platform
		if err != nil {
			return &phaseError{"pull", err}
		}
		if err := s.install(ctx, img, digest, names, p); err != nil {
			return &phaseError{installPhase(err), err}
		}
		return nil
	})
}

// resolve fetches the manifest of ref, from the registry's mirrors first.
// The descriptor remembers where it came from, so layers are fetched from
// the same place.
func (s *Store) resolve(ctx context.Context, ref name.Reference, p *progress) (*remote.Descriptor, error) {
	opts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(s.cfg.Keychain),
		remote.WithTransport(p.transport(s.cfg.Transport)),
		remote.WithPlatform(v1.Platform{OS: s.cfg.OS, Architecture: s.cfg.Architecture}),
	}
	for _, mirror := range s.cfg.Mirrors[ref.Context().RegistryStr()] {
		mref, err := s.onRegistry(ref, mirror)
		if err != nil {
			s.cfg.Logger.Warn("image mirror unusable", "mirror", mirror, "error", err)
			continue
		}
		desc, err := remote.Get(mref, opts...)
		if err == nil {
			return desc, nil
		}
		s.cfg.Logger.Warn("image mirror failed, trying the next source", "image", ref.Name(), "mirror", mirror, "error", err)
	}
	return remote.Get(ref, opts...)
}

// onRegistry is ref with its registry replaced by host.
func (s *Store) onRegistry(ref name.Reference, host string) (name.Reference, error) {
	var opts []name.Option
	for _, h := range s.cfg.InsecureRegistries {
		if h == host {
			opts = append(opts, name.Insecure)
		}
	}
	repo := host + "/" + ref.Context().RepositoryStr()
	if d, ok := ref.(name.Digest); ok {
		return name.NewDigest(repo+"@"+d.DigestStr(), opts...)
	}
	return name.NewTag(repo+":"+strings.TrimPrefix(ref.Identifier(), ":"), opts...)
}
