package unpack

// Options control how entries become files on the host.
type Options struct {
	// Chown sets each entry's owner to FirstHostUID plus its uid and gid
	// inside the image; it needs root. Without it files belong to the
	// unpacking user (rootless runners map that user as sandbox root).
	Chown bool
	// FirstHostUID and UIDCount are the host uids that sandbox uids
	// 0..UIDCount-1 map to (the container sandbox's defaults are
	// 1_000_000_000 and 65536). Entries owned by uids outside the range
	// fail the image.
	FirstHostUID uint32
	UIDCount     uint32
	// Progress, when set, is told after each chunk how many uncompressed
	// bytes of layer index (0-based) have been applied so far.
	Progress func(layer int, bytes int64)
}
