// Package rootfs turns the container-image platform property into a
// read-only directory tree for the sandbox to use as its root filesystem.
//
// A Store keeps unpacked images on local disk under a size limit, evicting
// the least recently used trees that no action is using. Acquire finds an
// image in this order: references configured to local directories, trees
// already in the store, then a pull from the registry (with mirrors, docker
// credentials and plain HTTP for local registries). Concurrent requests for
// one image share one pull and unpack. A tag is resolved to a digest the
// first time it is needed and stays pinned to that digest while the image
// is in the store; Tree.Reference names the digest actually used.
//
// On disk: DIR/trees/<hex digest>/{meta.json,rootfs/} for complete trees,
// DIR/tmp/ for unpacks in progress. A tree becomes visible only through
// the final rename from tmp/ into trees/, so a crash or a cancelled
// unpack leaves nothing that looks complete; tmp/ is emptied on Open.
//
// Every unpacked tree gets the sandbox's mount points (skeleton.MountPoints)
// while it is still writable. The package knows nothing else of the
// sandbox: the runner program adapts a Store to the sandbox's rootfs
// resolver where it wires the two together.
package rootfs
