package clocktest

import (
	"fmt"
	"sync/atomic"
)

// SequentialIDs names operations op-1, op-2, ... so tests can predict
// names. Never use it in production: the names are guessable.
type SequentialIDs struct {
	n atomic.Int64
}

// NewID returns the next name.
func (g *SequentialIDs) NewID() string {
	return fmt.Sprintf("op-%d", g.n.Add(1))
}
