package digest

import (
	"strings"

	"github.com/sandbarn/sandbarn/errkind"
)

// IsReservedSegment reports whether a path segment may not appear inside
// an instance name (REAPI): in a resource name, the first one marks where
// the instance name ends.
func IsReservedSegment(seg string) bool {
	switch seg {
	case "blobs", "uploads", "compressed-blobs", "actions", "actionResults", "operations", "capabilities":
		return true
	}
	return false
}

// ValidateInstanceName applies the rules resource names impose to an
// instance_name field, wherever one enters (storage, Execute), so that an
// instance cannot be spelt two ways (a//b, a/./b), climb out of a prefix
// (chroot/..), or make unusable ByteStream names. "" is the default
// instance. Errors are Invalid.
func ValidateInstanceName(instance string) error {
	if instance == "" {
		return nil
	}
	for _, seg := range strings.Split(instance, "/") {
		if seg == "" || seg == "." || seg == ".." || IsReservedSegment(seg) {
			return errkind.New(errkind.Invalid, "invalid instance name %q: segment %q is empty, '.', '..' or reserved", instance, seg)
		}
	}
	return nil
}
