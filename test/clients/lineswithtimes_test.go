package clients

import (
	"bytes"
	"strings"
	"sync"
	"time"
)

// linesWithTimes records when each line of a program's output arrived,
// so a test can tell output streamed live from output printed at the end.
type linesWithTimes struct {
	mu      sync.Mutex
	partial bytes.Buffer
	lines   []timedLine
}

type timedLine struct {
	at   time.Time
	text string
}

func (l *linesWithTimes) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	l.partial.Write(p)
	for {
		i := bytes.IndexByte(l.partial.Bytes(), '\n')
		if i < 0 {
			break
		}
		l.lines = append(l.lines, timedLine{at: now, text: string(l.partial.Next(i + 1))})
	}
	return len(p), nil
}

// firstContaining returns when the first line holding s arrived.
func (l *linesWithTimes) firstContaining(s string) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.lines {
		if strings.Contains(line.text, s) {
			return line.at, true
		}
	}
	return time.Time{}, false
}

// String is everything written so far.
func (l *linesWithTimes) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for _, line := range l.lines {
		b.WriteString(line.text)
	}
	b.WriteString(l.partial.String())
	return b.String()
}
