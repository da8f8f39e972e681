// Package outputs turns what an action left in its input root into the
// output fields of an ActionResult, and uploads the blobs those fields name.
//
// Both REAPI output styles are handled: output_paths (2.1 and later), and
// output_files plus output_directories (2.0, used by Bazel 4.2). Regular
// files keep their executable bit, directories become Tree messages and
// symlinks are reported as symlinks, not followed. Uploads ask the CAS which
// blobs it lacks first and send only those.
package outputs
