// Package images builds OCI images without a Docker daemon, using
// go-containerregistry: images of Sandbarn's own programs (bb_storage,
// bb_scheduler and bb_worker as static binaries on an empty base, bb_runner
// on top of Google's RBE Debian 8 and Ubuntu 16.04 images, as Buildbarn
// ships its runner images) and images made from a root filesystem
// directory, such as the debootstrap trees of images/recipes and the test
// images of test/images.
//
// The pieces compose: a Definition names a program set and a base; a
// Builder compiles the programs and stacks them on the base it gets from a
// BaseSource (a registry or a local OCI layout, since build machines often
// have no internet); DirLayer turns any directory into a layer; Output
// writes the results as an OCI layout, a `docker load` tarball or a push.
// images/cmd/buildimages is the command-line front end (`make images`).
package images
