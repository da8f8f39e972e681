// Package filecache keeps input files that a worker has downloaded from the
// CAS on local disk, so that an input used by many actions is fetched once
// and hardlinked into each action's input root.
//
// Files are named by digest, with executable and non-executable copies kept
// apart (a hardlink shares its mode, so one inode cannot be both). Cached
// files are read-only. The cache is bounded in bytes and evicts the least
// recently used files; files still linked into an input root stay alive
// through their links even after eviction. Downloads are deduplicated:
// concurrent requests for one file wait for a single download. A file only
// appears under its final name once its content was verified, so after a
// crash or restart the directory can be reloaded as is.
//
// Link fetches one file at a time and suits large files (streamed through
// ByteStream); Fetch downloads many small files in batches through
// storage.GetBatch ahead of linking, with the same deduplication and
// verification.
package filecache
