package logstream

import (
	"strings"

	"github.com/sandbarn/sandbarn/errkind"
)

// segment marks a log stream in a resource name: the read name is
// "[instance/]logstreams/ID", the write name adds "/TOKEN". ByteStream
// names for the CAS never have one or two segments after it, so the two
// kinds cannot be confused.
const segment = "logstreams"

// streamName is a parsed read or write resource name.
type streamName struct {
	instance, id, token string
}

// parseName splits a log stream resource name; ok is false for any other
// name.
func parseName(name string) (streamName, bool) {
	parts := strings.Split(name, "/")
	for i := len(parts) - 2; i >= 0 && i >= len(parts)-3; i-- {
		if parts[i] != segment {
			continue
		}
		n := streamName{instance: strings.Join(parts[:i], "/"), id: parts[i+1]}
		if i+2 < len(parts) {
			n.token = parts[i+2]
		}
		if n.id == "" || i+2 < len(parts) && n.token == "" {
			return streamName{}, false
		}
		return n, true
	}
	return streamName{}, false
}

// IsName reports whether a ByteStream resource name is a log stream's
// (read or write); use it to route ByteStream calls.
func IsName(name string) bool {
	_, ok := parseName(name)
	return ok
}

func (n streamName) readName() string {
	if n.instance == "" {
		return segment + "/" + n.id
	}
	return n.instance + "/" + segment + "/" + n.id
}

func (n streamName) writeName() string {
	return n.readName() + "/" + n.token
}

func parseReadName(name string) (streamName, error) {
	n, ok := parseName(name)
	if !ok || n.token != "" {
		return streamName{}, errkind.New(errkind.Invalid, "%q is not a log stream read name ([instance/]%s/ID)", name, segment)
	}
	return n, nil
}

func parseWriteName(name string) (streamName, error) {
	n, ok := parseName(name)
	if !ok || n.token == "" {
		return streamName{}, errkind.New(errkind.Invalid, "%q is not a log stream write name", name)
	}
	return n, nil
}
