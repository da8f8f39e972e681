// Package unpack applies the layers of an OCI or Docker image to a fresh
// directory, as a container engine would, but refusing anything that could
// write outside that directory: entries with "..", absolute names, links
// whose use would climb out of the tree, and any path that goes through a
// symbolic link. Whiteouts and opaque directories hide lower layers'
// entries; device nodes are skipped; ownership is shifted into the
// sandbox's host uid range.
package unpack
