package exampletest

import (
	"strings"
	"sync"
)

// Lines is an example's stdout that calls On with each line as it is
// completed (without its newline), before the example goes on: a test acts
// at a given point of the run this way, with no wait. String returns
// everything written. It is safe for concurrent writes.
type Lines struct {
	On func(line string)

	mu      sync.Mutex
	all     strings.Builder
	partial string
}

func (l *Lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	l.all.Write(p)
	l.partial += string(p)
	var done []string
	for {
		line, rest, ok := strings.Cut(l.partial, "\n")
		if !ok {
			break
		}
		done, l.partial = append(done, line), rest
	}
	l.mu.Unlock()
	if l.On != nil {
		for _, line := range done {
			l.On(line)
		}
	}
	return len(p), nil
}

// String returns everything written so far.
func (l *Lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.all.String()
}
