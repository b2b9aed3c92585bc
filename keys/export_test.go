package keys

import (
	"io"
	"time"
)

// WithReadWrapper wraps the reader of every read of the key file, so that a
// test can rewrite the file in the middle of a read.
func WithReadWrapper(wrap func(io.Reader) io.Reader) FileSourceOption {
	return func(f *FileSource) { f.wrapRead = wrap }
}

// WithElapsed replaces the FileSource's monotonic clock (time since NewFileSource).
func WithElapsed(elapsed func() time.Duration) FileSourceOption {
	return func(f *FileSource) { f.elapsed = elapsed }
}
