// Package testimages makes the root filesystems and images the tests use,
// from Debian bookworm packages on this machine (no public registry is
// reachable here):
//
//   - Busybox: a tree holding the host's busybox-static, its applets and
//     an /etc/os-release naming BusyBox; built in milliseconds.
//   - Bookworm: `debootstrap --variant=minbase bookworm` from
//     deb.debian.org, which takes a minute or two, so the tree and its OCI
//     image are cached below CacheDir and shared by every test and package
//     (a file lock makes concurrent builders wait for one another).
//
// images/recipes/busybox.sh and bookworm.sh do the same by hand, writing
// OCI layouts that `sandbarn image import` and registries accept.
package testimages
