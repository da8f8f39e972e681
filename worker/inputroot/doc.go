// Package inputroot materialises an action's input root on local disk: it
// fetches the Directory tree from the CAS (one batch read per level),
// validates it (sorted unique names, no path separators or dot names, symlinks that stay inside the
// root), creates the directories and symlinks, and hardlinks the files from
// a filecache.Cache, downloading the small files the cache lacks in
// batches first. Blobs missing from the CAS are collected and reported
// together as FAILED_PRECONDITION with a PreconditionFailure, so that the
// client can upload them all at once and retry.
package inputroot
