// Package imagecmd implements `sandbarn image pull|import|ls|rm`, which
// provision the runner's image store (rootfs.Store) by hand, e.g. on
// farms without registry access.
package imagecmd
