package logstream

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	logstreampb "github.com/bazelbuild/remote-apis/build/bazel/remote/logstream/v1"

	"github.com/sandbarn/sandbarn/errkind"
)

// Options configure a Store. Zero values take the defaults.
type Options struct {
	// MaxBufferBytes is how much of each stream is kept; older bytes are
	// dropped. Default 1 MiB.
	MaxBufferBytes int
	// Retention is how long a finished stream stays readable, so a client
	// that attaches late still sees the end of the output. Default one
	// minute.
	Retention time.Duration
	// MaxFinishedBytes bounds the data held by finished streams together:
	// beyond it the oldest are dropped before their retention ends, so a
	// burst of chatty actions cannot pile up. Default 256 MiB.
	MaxFinishedBytes int64
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Store holds log streams in memory.
type Store struct {
	opts Options

	mu      sync.Mutex
	streams map[string]*stream // by read name
	// finished lists read names in the order their streams finished,
	// which is also expiry order, so expiry never scans live streams.
	finished      []string
	finishedHead  int
	finishedBytes int64 // buffered data of the streams in finished
}

// NewStore returns an empty Store. The scheduler owns one and creates a
// pair of streams for each action it dispatches.
func NewStore(opts Options) *Store {
	if opts.MaxBufferBytes <= 0 {
		opts.MaxBufferBytes = 1 << 20
	}
	if opts.Retention <= 0 {
		opts.Retention = time.Minute
	}
	if opts.MaxFinishedBytes <= 0 {
		opts.MaxFinishedBytes = 256 << 20
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Store{opts: opts, streams: map[string]*stream{}}
}

// Create makes a stream under instance and returns its read name and its
// write name; only holders of the write name can write.
func (s *Store) Create(instance string) *logstreampb.LogStream {
	n := streamName{instance: instance, id: randomHex(), token: randomHex()}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked()
	s.streams[n.readName()] = newStream(n.token)
	return &logstreampb.LogStream{Name: n.readName(), WriteResourceName: n.writeName()}
}

// Finish ends the stream with the given read name: readers get what was
// written and then the end of the stream. Finishing twice, or an unknown
// stream, does nothing.
func (s *Store) Finish(readName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.streams[readName]; ok {
		s.finishLocked(readName, st)
	}
}

func (s *Store) finishLocked(readName string, st *stream) {
	if !st.finished {
		st.finish(s.opts.Now())
		s.finished = append(s.finished, readName)
		s.finishedBytes += int64(len(st.data))
	}
}

// Len is the number of streams held, finished or not.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.streams)
}

// expireLocked drops streams finished longer than Retention ago, and the
// oldest finished ones while they hold more than MaxFinishedBytes. It runs
// when streams are created, so the map cannot grow without bound, and
// costs only the streams it drops.
func (s *Store) expireLocked() {
	cutoff := s.opts.Now().Add(-s.opts.Retention)
	for s.finishedHead < len(s.finished) {
		name := s.finished[s.finishedHead]
		st := s.streams[name]
		if !st.finishedAt.Before(cutoff) && s.finishedBytes <= s.opts.MaxFinishedBytes {
			break
		}
		s.finishedBytes -= int64(len(st.data))
		delete(s.streams, name)
		s.finished[s.finishedHead] = ""
		s.finishedHead++
	}
	// Reclaim the consumed front once it is most of the slice.
	if s.finishedHead > 64 && s.finishedHead*2 > len(s.finished) {
		s.finished = append([]string(nil), s.finished[s.finishedHead:]...)
		s.finishedHead = 0
	}
}

// append adds data at offset to a stream, as the holder of its write
// name. It returns the new committed size.
func (s *Store) append(n streamName, offset int64, data []byte, finish bool) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.writable(n)
	if err != nil {
		return 0, err
	}
	if offset != st.end() {
		return 0, errkind.New(errkind.Invalid, "write_offset %d, but log stream %s has %d bytes", offset, n.readName(), st.end())
	}
	st.appendData(data, s.opts.MaxBufferBytes)
	if finish {
		s.finishLocked(n.readName(), st)
	}
	return st.end(), nil
}

func (s *Store) writable(n streamName) (*stream, error) {
	st, ok := s.streams[n.readName()]
	if !ok || st.token != n.token {
		return nil, errkind.New(errkind.NotFound, "log stream %s not found", n.writeName())
	}
	if st.finished {
		return nil, errkind.New(errkind.Precondition, "log stream %s is finished", n.readName())
	}
	return st, nil
}

// committed reports a stream's size and whether it is finished.
func (s *Store) committed(n streamName) (int64, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.streams[n.readName()]
	if !ok || st.token != n.token {
		return 0, false, errkind.New(errkind.NotFound, "log stream %s not found", n.writeName())
	}
	return st.end(), st.finished, nil
}

// next returns up to max bytes from offset, waiting for them while the
// stream is unfinished. It returns no data and done=true at the end.
func (s *Store) next(ctx context.Context, readName string, offset int64, max int) (data []byte, at int64, done bool, err error) {
	for {
		s.mu.Lock()
		st, ok := s.streams[readName]
		if !ok {
			s.mu.Unlock()
			return nil, 0, false, errkind.New(errkind.NotFound, "log stream %s not found", readName)
		}
		data, at = st.from(offset, max)
		finished, changed := st.finished, st.changed
		s.mu.Unlock()
		if len(data) > 0 || finished {
			return data, at, len(data) == 0, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			// The context's error has its own kind (Canceled or
			// DeadlineExceeded), which the edge maps to its code.
			return nil, 0, false, ctx.Err()
		}
	}
}

func randomHex() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		// crypto/rand does not fail on Linux; if it ever did, names
		// would be guessable, which is worse than stopping.
		panic(err)
	}
	return hex.EncodeToString(b[:])
}
