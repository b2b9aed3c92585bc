package keys

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vippsportal/sdk/internal/core"
)

// DefaultCheckEvery is how often, at most, a FileSource looks at its file.
const DefaultCheckEvery = time.Second

// KeyFile is the format of the key file a FileSource follows (and the rotate
// example writes): the set with its values in the clear (keep the file 0600)
// and the subscription key in use.
//
//	{"inUse": "subscriptionKeyPrimary", "keys": {"msn": ..., "environment": ..., "clientId": ...,
//	  "clientSecret": ..., "subscriptionKeyPrimary": ..., "subscriptionKeySecondary": ..., "updatedAt": ...}}
type KeyFile struct {
	InUse Name        `json:"inUse"`
	Keys  RevealedSet `json:"keys"`
}

// FileSource is a Source that follows a key file replaced atomically (written
// beside it and renamed over it, as secret volumes, secret agents and the
// rotate example do). It looks at the file (one stat) at most once per
// CheckEvery, on the request that finds the interval passed, and reads it only
// when it changed; Reload (after Vipps refused the keys) looks at once. It
// starts no goroutine and holds no open file: there is nothing to close. A
// file that cannot be read or parsed leaves the last good set in use (Err
// says why). Printing it shows no secret.
type FileSource struct {
	path       string
	checkEvery time.Duration
	live       *LiveSource

	next atomic.Int64 // UnixNano before which Keys does not look

	mu   sync.Mutex // one look at a time
	seen os.FileInfo
	err  error
}

var _ Source = (*FileSource)(nil)

// FileSourceOption configures NewFileSource.
type FileSourceOption func(*FileSource)

// CheckEvery sets how often, at most, the file is looked at (default
// DefaultCheckEvery). A rotation that writes the file must drain longer than this.
func CheckEvery(d time.Duration) FileSourceOption {
	return func(f *FileSource) {
		if d > 0 {
			f.checkEvery = d
		}
	}
}

// NewFileSource reads the key file at path (see KeyFile) and follows it. It
// fails, naming the file, when the file cannot be read or holds no usable set.
func NewFileSource(path string, opts ...FileSourceOption) (*FileSource, error) {
	if path == "" {
		return nil, core.Invalid("path", "is required")
	}
	f := &FileSource{path: path, checkEvery: DefaultCheckEvery}
	for _, o := range opts {
		o(f)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("keys: key file: %w", err)
	}
	set, inUse, err := readKeyFile(path)
	if err != nil {
		return nil, err
	}
	f.seen, f.live = fi, NewLiveSource(set, inUse)
	f.next.Store(time.Now().Add(f.checkEvery).UnixNano())
	return f, nil
}

// readKeyFile reads and checks a key file. Its errors never quote the file.
func readKeyFile(path string) (Set, Name, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Set{}, "", fmt.Errorf("keys: key file: %w", err)
	}
	var kf KeyFile
	if err := json.Unmarshal(b, &kf); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return Set{}, "", fmt.Errorf("keys: key file %s is not JSON (at byte %d)", path, se.Offset)
		}
		return Set{}, "", fmt.Errorf("keys: key file %s does not have the key file's shape", path)
	}
	if !kf.InUse.IsSubscriptionKey() {
		return Set{}, "", core.Invalid(path+": inUse", "must be subscriptionKeyPrimary or subscriptionKeySecondary, got %q", string(kf.InUse))
	}
	set := kf.Keys.Set()
	if err := checkSet(path+": keys", &set); err != nil {
		return Set{}, "", err
	}
	return set, kf.InUse, nil
}

// Keys returns the current set (looking at the file first when CheckEvery has passed).
func (f *FileSource) Keys() (Set, Name, func()) {
	if now := time.Now(); now.UnixNano() >= f.next.Load() {
		f.look(now, false)
	}
	return f.live.Keys()
}

// Reload looks at the file at once.
func (f *FileSource) Reload(context.Context) { f.look(time.Now(), true) }

// look stats the file and reads it when it changed. Only one caller looks;
// the others go on with the set in use.
func (f *FileSource) look(now time.Time, force bool) {
	if force {
		f.mu.Lock()
	} else if !f.mu.TryLock() {
		return
	}
	defer f.mu.Unlock()
	if !force && now.UnixNano() < f.next.Load() {
		return // another caller just looked
	}
	defer f.next.Store(now.Add(f.checkEvery).UnixNano())
	fi, err := os.Stat(f.path)
	if err != nil {
		f.err = fmt.Errorf("keys: key file: %w", err)
		return
	}
	if f.seen != nil && os.SameFile(f.seen, fi) && fi.ModTime().Equal(f.seen.ModTime()) && fi.Size() == f.seen.Size() {
		return
	}
	set, inUse, err := readKeyFile(f.path)
	if err != nil {
		f.err = err
		return
	}
	if _, err := f.live.put(set, inUse); err != nil {
		f.err = err
		return
	}
	f.seen, f.err = fi, nil
}

// Err is why the last look at the file failed (the last good set stays in
// use), or nil.
func (f *FileSource) Err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// Current returns the set and the subscription key in use, without looking at the file.
func (f *FileSource) Current() (Set, Name) { return f.live.Current() }

// InFlight is the number of requests in flight that carry subscription key n.
func (f *FileSource) InFlight(n Name) int { return f.live.InFlight(n) }

// String names the file, the sales unit and the key in use, never a value.
func (f *FileSource) String() string {
	set, n := f.live.Current()
	return fmt.Sprintf("keys.FileSource{path: %s, msn: %s, environment: %s, inUse: %s}", f.path, set.MSN, set.Environment, n)
}

// GoString is String (the %#v verb).
func (f *FileSource) GoString() string { return f.String() }

// MarshalJSON shows the file, the sales unit and the key in use, never a value.
func (f *FileSource) MarshalJSON() ([]byte, error) {
	set, n := f.live.Current()
	return json.Marshal(sourceJSON{Path: f.path, MSN: set.MSN, Environment: set.Environment, InUse: n, Version: f.live.Version()})
}
