package images

// Base images of the runner images: Google's RBE toolchain containers,
// pinned by digest, which is how Bazel RBE toolchain configurations name
// them in container-image.
//
//   - RBEUbuntu1604 is the digest used by Buildbarn's example deployments
//     (bb-deployments' worker configuration and README).
//   - RBEDebian8 is the digest used in Buildbarn's bb-remote-execution
//     tests as an action's container-image.
//
// Google no longer publishes new versions of either; sites without access
// to marketplace.gcr.io build equivalents with images/recipes and pass
// them as a local OCI layout.
const (
	RBEUbuntu1604 = "marketplace.gcr.io/google/rbe-ubuntu16-04@sha256:b516a2d69537cb40a7c6a7d92d0008abb29fba8725243772bdaf2c83f1be2272"
	RBEDebian8    = "gcr.io/cloud-marketplace/google/rbe-debian8@sha256:4893599fb00089edc8351d9c26b31d3f600774cb5addefb00c70fdb6ca797abf"
)

// programDir is where program binaries go inside every image; configs are
// expected in configDir (a Kubernetes ConfigMap or a host bind mount).
const (
	programDir = "/app"
	configDir  = "/config"
)

// Definition describes one image of Sandbarn's programs.
type Definition struct {
	// Name is the repository name the image is written or pushed under.
	Name string
	// Base is the base image reference ("" for an empty base).
	Base string
	// Programs go into /app; the first one is the entrypoint, started
	// with /config/<name>.jsonnet.
	Programs []Program
	// Env is added to the base's environment.
	Env []string
}

// Entrypoint is the command the image starts.
func (d Definition) Entrypoint() []string {
	p := d.Programs[0].Name
	return []string{programDir + "/" + p, configDir + "/" + p + ".jsonnet"}
}

// Definitions are the images a release publishes: the three services as
// static binaries on an empty base, and bb_runner on each RBE base so
// actions that name those images find their tools in the runner's own
// filesystem, as with Buildbarn's bb-runner images.
func Definitions() []Definition {
	runner := []Program{{Name: "bb_runner", Cgo: true}}
	return []Definition{
		{Name: "bb_storage", Programs: []Program{{Name: "bb_storage"}}},
		{Name: "bb_scheduler", Programs: []Program{{Name: "bb_scheduler"}}},
		{Name: "bb_worker", Programs: []Program{{Name: "bb_worker"}}},
		{Name: "bb_runner-debian8", Base: RBEDebian8, Programs: runner},
		{Name: "bb_runner-ubuntu16-04", Base: RBEUbuntu1604, Programs: runner},
	}
}
