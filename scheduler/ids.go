package scheduler

import (
	"crypto/rand"
	"encoding/base64"
)

// IDGenerator names operations.
type IDGenerator interface {
	NewID() string
}

// RandomIDs produces 128-bit names from crypto/rand so that operation names
// cannot be guessed by another client. Use it in production.
type RandomIDs struct{}

// NewID returns a fresh random name.
func (RandomIDs) NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		// crypto/rand.Read never fails on Linux 3.17+ (getrandom).
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}
