package logstream

import "time"

// stream is one log: its most recent bytes and where they sit in the
// whole. Guarded by Store.mu.
type stream struct {
	token string
	// data holds bytes [start, start+len(data)) of everything written.
	data  []byte
	start int64
	// finished is set once no more data will come; finishedAt drives
	// expiry.
	finished   bool
	finishedAt time.Time
	// changed is closed and replaced at every append and at finish,
	// waking blocked readers.
	changed chan struct{}
}

func newStream(token string) *stream {
	return &stream{token: token, changed: make(chan struct{})}
}

// end is the total number of bytes written.
func (st *stream) end() int64 { return st.start + int64(len(st.data)) }

// appendData adds p, dropping the oldest bytes beyond limit. When the
// buffer would outgrow the limit it is copied into a fresh one of exactly
// limit bytes, so the memory held stays bounded by limit.
func (st *stream) appendData(p []byte, limit int) {
	if len(p) == 0 {
		return
	}
	if len(st.data)+len(p) <= limit {
		st.data = append(st.data, p...)
	} else {
		keep := min(len(st.data), limit-min(len(p), limit))
		next := make([]byte, 0, limit)
		next = append(next, st.data[len(st.data)-keep:]...)
		next = append(next, p[len(p)-min(len(p), limit):]...)
		st.start += int64(len(st.data) + len(p) - len(next))
		st.data = next
	}
	st.notify()
}

func (st *stream) finish(now time.Time) {
	if !st.finished {
		st.finished, st.finishedAt = true, now
		st.notify()
	}
}

func (st *stream) notify() {
	close(st.changed)
	st.changed = make(chan struct{})
}

// from copies up to n bytes from offset, moving offset up to the oldest
// byte still held. It returns the data and the offset it starts at.
func (st *stream) from(offset int64, n int) ([]byte, int64) {
	offset = max(offset, st.start)
	avail := st.end() - offset
	if avail <= 0 {
		return nil, offset
	}
	i := offset - st.start
	out := make([]byte, min(avail, int64(n)))
	copy(out, st.data[i:])
	return out, offset
}
