package unpack

import "fmt"

// EntryError says which entry of which layer made the image unusable: a
// problem with the image itself, not with this machine.
type EntryError struct {
	Layer  int // 0-based, bottom layer first
	Name   string
	Reason string
}

func (e *EntryError) Error() string {
	return fmt.Sprintf("layer %d: entry %q: %s", e.Layer, e.Name, e.Reason)
}
