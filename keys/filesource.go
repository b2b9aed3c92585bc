package keys

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vippsportal/sdk/internal/core"
)

// DefaultCheckEvery is how often, at most, a [FileSource] looks at its file.
const DefaultCheckEvery = time.Second

// MaxKeyFileSize bounds a key file: a [FileSource] refuses a bigger one
// without reading it (a key file is well under 1 KiB).
const MaxKeyFileSize = 64 << 10

// KeyFile is the format of the key file a [FileSource] follows (and the rotate
// example writes): the set with its values in the clear (keep the file 0600)
// and the subscription key in use.
//
//	{"inUse": "subscriptionKeyPrimary", "keys": {"msn": ..., "environment": ..., "clientId": ...,
//	  "clientSecret": ..., "subscriptionKeyPrimary": ..., "subscriptionKeySecondary": ..., "updatedAt": ...}}
//
// json.Marshal of a KeyFile writes every value (through [RevealedSet]): that
// is how the file is written, on purpose. Every other printing of it (fmt's
// verbs, slog) shows the redacted [Set].
type KeyFile struct {
	InUse Name        `json:"inUse"`
	Keys  RevealedSet `json:"keys"`
}

func (k KeyFile) redacted() redactedKeyFile {
	return redactedKeyFile{InUse: k.InUse, Keys: k.Keys.Set()}
}

// String prints the key in use and the redacted set.
func (k KeyFile) String() string { return fmt.Sprint(k.redacted()) }

// GoString prints the key in use and the redacted set (the %#v verb).
func (k KeyFile) GoString() string {
	return fmt.Sprintf("keys.KeyFile{InUse:%q, Keys:%#v}", string(k.InUse), k.Keys.Set())
}

// Format prints the key in use and the redacted set for every verb.
func (k KeyFile) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, k.GoString())
		return
	}
	_, _ = fmt.Fprintf(f, fmt.FormatString(f, verb), k.redacted())
}

// LogValue logs the key in use and the redacted set.
func (k KeyFile) LogValue() slog.Value {
	return slog.GroupValue(slog.String("inUse", string(k.InUse)), slog.Any("keys", k.Keys.Set()))
}

// redactedKeyFile is what fmt shows of a KeyFile.
type redactedKeyFile struct {
	InUse Name
	Keys  Set
}

// FileSource is a [Source] that follows a key file ([KeyFile]) replaced
// atomically (written beside it and renamed over it, as secret volumes, secret
// agents and the rotate example do). It looks at the file (one stat) at most
// once per CheckEvery, on the request that finds the interval passed (timed
// on the monotonic clock, so a step of the wall clock changes nothing), and
// reads it only when it changed; Reload (after Vipps refused the keys) reads
// it at once. It starts no goroutine and holds no open file: there is nothing
// to close. Printing it shows no secret.
//
// The file must be a regular file (a symlink to one is followed, as in a
// Kubernetes secret volume) of at most [MaxKeyFileSize], readable and
// writable by its owner only (mode 0600 or 0400; in Kubernetes, defaultMode
// 0400), as ssh requires of a private key; on Windows the mode is not
// checked. A file that changes while it is read is read again once. A file
// that cannot be used (missing, too big, open to others, not JSON, a set no
// request could carry) leaves the last good set in use, and [FileSource.Err]
// says why without quoting any value of the file.
type FileSource struct {
	path       string
	checkEvery time.Duration
	live       *LiveSource
	elapsed    func() time.Duration      // monotonic time since NewFileSource
	wrapRead   func(io.Reader) io.Reader // tests: in the middle of a read

	next  atomic.Int64  // elapsed nanoseconds before which Keys does not look
	reads atomic.Uint64 // reads begun: concurrent Reloads share one

	mu   sync.Mutex // one look at a time
	seen os.FileInfo
	err  error
}

var _ Source = (*FileSource)(nil)

// FileSourceOption configures [NewFileSource].
type FileSourceOption func(*FileSource)

// CheckEvery sets how often, at most, the file is looked at (default
// [DefaultCheckEvery]). A rotation that writes the file must drain longer
// than this ([DrainStrategy.Drain]).
func CheckEvery(d time.Duration) FileSourceOption {
	return func(f *FileSource) {
		if d > 0 {
			f.checkEvery = d
		}
	}
}

// NewFileSource reads the key file at path (see [KeyFile]) and follows it. It
// fails, naming the file, when the file cannot be used (see [FileSource]).
func NewFileSource(path string, opts ...FileSourceOption) (*FileSource, error) {
	if path == "" {
		return nil, core.Invalid("path", "is required")
	}
	start := time.Now()
	f := &FileSource{path: path, checkEvery: DefaultCheckEvery, elapsed: func() time.Duration { return time.Since(start) }}
	for _, o := range opts {
		o(f)
	}
	set, inUse, fi, err := f.read()
	if err != nil {
		return nil, err
	}
	f.seen, f.live = fi, NewLiveSource(set, inUse)
	f.next.Store(int64(f.elapsed() + f.checkEvery))
	return f, nil
}

// read reads and checks the file, again once when it changed while it was
// read (a writer rewriting it in place), so that a set is never made of two
// versions of it. Its errors never quote the file's content.
func (f *FileSource) read() (Set, Name, os.FileInfo, error) {
	f.reads.Add(1)
	for try := 1; ; try++ {
		b, before, after, err := f.readOnce()
		if err != nil {
			return Set{}, "", nil, err
		}
		if sameFile(before, after) {
			set, inUse, err := parseKeyFile(f.path, b)
			return set, inUse, after, err
		}
		if try == 2 {
			return Set{}, "", nil, fmt.Errorf("keys: key file %s changed while it was read, twice: write it beside and rename it over instead of rewriting it in place", f.path)
		}
	}
}

// readOnce reads the whole file, bounded, with its state before and after.
func (f *FileSource) readOnce() (b []byte, before, after os.FileInfo, err error) {
	// Non-blocking, so that opening a FIFO (or a device) put where the file
	// was does not wait for a writer; the checks below then refuse it.
	file, err := os.OpenFile(f.path, openFlags, 0)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("keys: key file: %w", err)
	}
	defer func() { _ = file.Close() }()
	if before, err = file.Stat(); err != nil {
		return nil, nil, nil, fmt.Errorf("keys: key file: %w", err)
	}
	switch mode := before.Mode(); {
	case !mode.IsRegular():
		return nil, nil, nil, fmt.Errorf("keys: key file %s is not a regular file (%s)", f.path, mode.Type())
	case before.Size() > MaxKeyFileSize:
		return nil, nil, nil, fmt.Errorf("keys: key file %s is %d bytes, more than the %d a key file may have", f.path, before.Size(), MaxKeyFileSize)
	case mode.Perm()&0o077 != 0 && runtime.GOOS != "windows":
		return nil, nil, nil, fmt.Errorf("keys: key file %s is open to its group or others (mode %04o): make it 0600 or 0400", f.path, mode.Perm())
	}
	var r io.Reader = io.LimitReader(file, MaxKeyFileSize+1)
	if f.wrapRead != nil {
		r = f.wrapRead(r)
	}
	if b, err = io.ReadAll(r); err != nil {
		return nil, nil, nil, fmt.Errorf("keys: key file: %w", err)
	}
	if len(b) > MaxKeyFileSize {
		return nil, nil, nil, fmt.Errorf("keys: key file %s grew past %d bytes while it was read", f.path, MaxKeyFileSize)
	}
	if after, err = file.Stat(); err != nil {
		return nil, nil, nil, fmt.Errorf("keys: key file: %w", err)
	}
	return b, before, after, nil
}

// sameFile reports whether a and b are the same file, unchanged between them.
func sameFile(a, b os.FileInfo) bool {
	return a != nil && b != nil && os.SameFile(a, b) && a.ModTime().Equal(b.ModTime()) && a.Size() == b.Size()
}

// parseKeyFile checks a key file's content. Its errors name fields, never values.
func parseKeyFile(path string, b []byte) (Set, Name, error) {
	var kf KeyFile
	if err := json.Unmarshal(b, &kf); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return Set{}, "", fmt.Errorf("keys: key file %s is not JSON (at byte %d)", path, se.Offset)
		}
		return Set{}, "", fmt.Errorf("keys: key file %s does not have the key file's shape", path)
	}
	if !kf.InUse.IsSubscriptionKey() {
		return Set{}, "", core.Invalid(path+": inUse", "must be subscriptionKeyPrimary or subscriptionKeySecondary")
	}
	set := kf.Keys.Set()
	if err := checkSet(path+": keys", &set); err != nil {
		return Set{}, "", err
	}
	return set, kf.InUse, nil
}

// Keys returns the current set (looking at the file first when CheckEvery has passed).
func (f *FileSource) Keys() (Set, Name, func()) {
	if f.elapsed() >= time.Duration(f.next.Load()) {
		f.look()
	}
	return f.live.Keys()
}

// Reload reads the file at once, even when it looks unchanged (a rewrite in
// place within the same second keeps its size and time). Calls that overlap
// share one read.
func (f *FileSource) Reload(context.Context) {
	asked := f.reads.Load()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.reads.Load() != asked {
		return // a read began after this call: its result is as fresh
	}
	f.take(f.read())
}

// look stats the file and reads it when it changed. Only one caller looks;
// the others go on with the set in use.
func (f *FileSource) look() {
	if !f.mu.TryLock() {
		return
	}
	defer f.mu.Unlock()
	now := f.elapsed()
	if now < time.Duration(f.next.Load()) {
		return // another caller just looked
	}
	defer f.next.Store(int64(now + f.checkEvery))
	fi, err := os.Stat(f.path)
	if err != nil {
		f.err = fmt.Errorf("keys: key file: %w", err)
		return
	}
	if sameFile(f.seen, fi) && f.err == nil {
		return
	}
	f.take(f.read())
}

// take puts what read returned into use, or keeps the last good set and the error.
func (f *FileSource) take(set Set, inUse Name, fi os.FileInfo, err error) {
	if err == nil {
		_, err = f.live.put(set, inUse)
	}
	if err != nil {
		f.err = err
		return
	}
	f.seen, f.err = fi, nil
}

// Err is why the last look at the file failed (the last good set stays in
// use), or nil. It never quotes a value of the file.
func (f *FileSource) Err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// Current returns the set and the subscription key in use, without looking
// at the file: it may be up to CheckEvery older than the file (call
// [FileSource.Reload] first to read it now).
func (f *FileSource) Current() (Set, Name) { return f.live.Current() }

// InFlight is the number of requests in flight that carry subscription key n.
func (f *FileSource) InFlight(n Name) int { return f.live.InFlight(n) }

// String names the file, the sales unit and the key in use, never a value.
func (f *FileSource) String() string {
	if f == nil {
		return "keys.FileSource(nil)"
	}
	set, n := f.live.Current()
	return fmt.Sprintf("keys.FileSource{path: %s, msn: %s, environment: %s, inUse: %s}", f.path, set.MSN, set.Environment, n)
}

// GoString is String (the %#v verb).
func (f *FileSource) GoString() string { return f.String() }

// Format prints String for every verb.
func (f *FileSource) Format(s fmt.State, _ rune) { _, _ = io.WriteString(s, f.String()) }

// LogValue logs the file, the sales unit and the key in use, never a value.
func (f *FileSource) LogValue() slog.Value {
	if f == nil {
		return slog.StringValue("keys.FileSource(nil)")
	}
	return slog.GroupValue(slog.String("path", f.path), slog.Any("source", f.live))
}

// MarshalJSON shows the file, the sales unit and the key in use, never a value.
func (f *FileSource) MarshalJSON() ([]byte, error) {
	if f == nil {
		return []byte("null"), nil
	}
	set, n := f.live.Current()
	return json.Marshal(sourceJSON{Path: f.path, MSN: set.MSN, Environment: set.Environment, InUse: n, Version: f.live.Version()})
}
