package keys

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vippsportal/sdk/internal/core"
	"github.com/vippsportal/sdk/vipps"
)

// Source is a live key set: the set to use now and the subscription key in use.
// A client built with [github.com/vippsportal/sdk/portal.WithKeySource](src) asks it on every call, token
// requests included, so a change needs no restart. [NewLiveSource] and
// [NewFileSource] are the SDK's sources.
type Source interface {
	// Keys returns the set to use now, the subscription key in use, and done,
	// which the caller runs once the request carrying them has its answer: a
	// source counts requests in flight per subscription key with it, so a
	// rotation can wait for the old key's requests to finish.
	Keys() (set Set, inUse Name, done func())
	// Reload reads the keys again at once. A client calls it once when Vipps
	// refuses the keys in use (401 invalid_client, or the gateway's 401), then
	// retries if they changed.
	Reload(ctx context.Context)
}

// AccessToken is a token Rotate obtained with a set just before it replaced
// the set's client secret, handed to the integration (a [LiveStrategy]'s
// source, or [DrainStrategy.HandOff], which gives it to
// [github.com/vippsportal/sdk/portal.Client.UseToken]) so that a client holding no token does not ask for
// one with a secret about to change. Every printing of it (fmt, slog, JSON)
// shows no secret; it keeps only a fingerprint of the keys it was obtained with.
type AccessToken struct {
	Value     vipps.Secret
	Received  time.Time // our clock when it arrived
	ExpiresIn time.Duration
	TokenURL  string   // the token endpoint that issued it: it is used for no other
	issuedTo  [32]byte // fingerprint of the client id and secret
}

func fingerprint(clientID string, clientSecret vipps.Secret) [32]byte {
	return sha256.Sum256([]byte(clientID + "\x00" + clientSecret.Reveal()))
}

// IssuedTo reports whether the token was obtained with this client id and secret.
func (t AccessToken) IssuedTo(clientID string, clientSecret vipps.Secret) bool {
	return t.issuedTo != [32]byte{} && t.issuedTo == fingerprint(clientID, clientSecret)
}

// Format prints the token's endpoint and lifetime, never its value, for every verb.
func (t AccessToken) Format(f fmt.State, verb rune) {
	_, _ = fmt.Fprintf(f, "keys.AccessToken{TokenURL: %s, Received: %s, ExpiresIn: %s, Value: %v}",
		t.TokenURL, t.Received.Format(time.RFC3339), t.ExpiresIn, t.Value)
}

// LogValue logs the token's endpoint and lifetime, never its value.
func (t AccessToken) LogValue() slog.Value {
	return slog.GroupValue(slog.String("tokenURL", t.TokenURL), slog.Duration("expiresIn", t.ExpiresIn), slog.Any("value", t.Value))
}

// DefaultMaxDrain bounds how long [LiveSource.Store] and a [LiveStrategy]
// rotation wait for the requests that still carry a replaced subscription key.
const DefaultMaxDrain = time.Minute

// LiveSource is an in-memory [Source], safe for concurrent use; its zero
// value holds no set until Store. [LiveSource.Store] (or a rotation with a
// [LiveStrategy]) replaces its set; it counts the requests in flight per
// subscription key, so that a switch waits for the old key's requests to
// finish. Use it by pointer. Printing it, by pointer or by value, with any
// verb, through slog or JSON, shows no secret.
type LiveSource struct {
	mu sync.Mutex
	// st is behind an atomic.Pointer (an unsafe.Pointer inside) so that fmt,
	// walking a LiveSource printed by value, where the pointer's methods are
	// out of reach, prints an address whatever the verb, and never a key (a
	// plain pointer is printed in full by %s and %q). Written under mu.
	st atomic.Pointer[liveState]
}

type liveState struct {
	set      Set
	inUse    Name
	version  uint64
	inFlight map[Name]int
	epoch    uint64         // moves on at every hand-over of a token
	byEpoch  map[uint64]int // requests in flight per epoch
	wake     chan struct{}  // closed (and dropped) when a request ends, while someone waits
	token    *AccessToken
}

var _ Source = (*LiveSource)(nil)

// NewLiveSource returns a source holding set, whose subscription key inUse is
// the one the integration uses. It does not check them: [LiveSource.Store]
// does, and [github.com/vippsportal/sdk/portal.WithKeySource] refuses a source whose set no
// request could carry.
func NewLiveSource(set Set, inUse Name) *LiveSource {
	l := &LiveSource{}
	l.st.Store(&liveState{set: set, inUse: inUse, inFlight: map[Name]int{}, byEpoch: map[uint64]int{}})
	return l
}

// state returns the state, made on first use of a zero LiveSource. l.mu is held.
func (l *LiveSource) state() *liveState {
	st := l.st.Load()
	if st == nil {
		st = &liveState{inFlight: map[Name]int{}, byEpoch: map[uint64]int{}}
		l.st.Store(st)
	}
	return st
}

// Keys returns the current set and key in use, counting one request in flight on it until done runs.
func (l *LiveSource) Keys() (Set, Name, func()) {
	l.mu.Lock()
	st := l.state()
	set, n, e := st.set, st.inUse, st.epoch
	st.inFlight[n]++
	st.byEpoch[e]++
	l.mu.Unlock()
	var once sync.Once
	return set, n, func() { once.Do(func() { l.release(n, e) }) }
}

func (l *LiveSource) release(n Name, e uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.state()
	if st.inFlight[n]--; st.inFlight[n] == 0 {
		delete(st.inFlight, n)
	}
	if st.byEpoch[e]--; st.byEpoch[e] == 0 {
		delete(st.byEpoch, e)
	}
	if st.wake != nil {
		close(st.wake)
		st.wake = nil
	}
}

// Reload does nothing: a LiveSource is always current.
func (l *LiveSource) Reload(context.Context) {}

// Current returns the set and the subscription key in use, without counting a request.
func (l *LiveSource) Current() (Set, Name) {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.state()
	return st.set, st.inUse
}

// Version counts the sets stored (0 for the one NewLiveSource was given).
func (l *LiveSource) Version() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state().version
}

// InFlight is the number of requests in flight that carry subscription key n.
func (l *LiveSource) InFlight(n Name) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state().inFlight[n]
}

// Store makes set, with subscription key inUse, the keys of every call from
// now on. When the key in use changes, it then waits until no request carrying
// the old one is in flight (at most [DefaultMaxDrain], and until ctx ends), so
// that when it returns the old key may be regenerated; past the bound it
// returns a *[DrainError] (the new set is in use all the same).
//
// A set that no request could carry (a missing value, a control character
// such as CR, LF or NUL in one, an MSN that is not 4-10 digits) or an inUse
// that is not a subscription key is refused with a *[vipps.ValidationError],
// and the last good set stays in use; so is a nil ctx.
func (l *LiveSource) Store(ctx context.Context, set Set, inUse Name) error {
	if err := core.CheckContext(ctx); err != nil {
		return err
	}
	old, err := l.put(set, inUse)
	if err != nil {
		return err
	}
	if old == "" {
		return nil
	}
	_, err = l.Drain(ctx, old, DefaultMaxDrain)
	return err
}

// put swaps the set in and returns the key that went out of use ("" when none).
func (l *LiveSource) put(set Set, inUse Name) (Name, error) {
	if err := checkSet("set", &set); err != nil {
		return "", err
	}
	if !inUse.IsSubscriptionKey() {
		return "", core.Invalid("inUse", "must be subscriptionKeyPrimary or subscriptionKeySecondary, got %q", string(inUse))
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.state()
	// Only a change of the key in use leaves requests behind worth waiting for:
	// a key in use whose value changed elsewhere is already refused.
	var old Name
	if st.inUse != inUse {
		old = st.inUse
	}
	st.set, st.inUse = set, inUse
	st.version++
	return old, nil
}

// DrainError is a wait for the requests carrying a subscription key that ran
// out of time: the key may still be in use and must not be regenerated yet.
type DrainError struct {
	Key      Name
	InFlight int
	Waited   time.Duration
	Err      error // context.DeadlineExceeded for the bound, or the context's error
}

// Error names the key, the requests still in flight and the time waited.
func (e *DrainError) Error() string {
	return fmt.Sprintf("keys: %d requests still carry %s after %s: %v", e.InFlight, e.Key, e.Waited.Round(time.Millisecond), e.Err)
}

// Unwrap returns the cause.
func (e *DrainError) Unwrap() error { return e.Err }

// Drain waits until no request carrying subscription key n is in flight, or
// max has passed (0 or less: [DefaultMaxDrain]), or ctx ends, and returns how
// long it waited; when it gives up, the error is a *[DrainError]. Requests
// that start meanwhile with n (while n is in use) are waited for too. A nil
// ctx is an error.
func (l *LiveSource) Drain(ctx context.Context, n Name, max time.Duration) (time.Duration, error) {
	if err := core.CheckContext(ctx); err != nil {
		return 0, err
	}
	return l.wait(ctx, n, max, func(st *liveState) int { return st.inFlight[n] })
}

// wait waits until count (called with l.mu held) is 0.
func (l *LiveSource) wait(ctx context.Context, n Name, max time.Duration, count func(*liveState) int) (time.Duration, error) {
	if max <= 0 {
		max = DefaultMaxDrain
	}
	start := time.Now()
	timer := time.NewTimer(max)
	defer timer.Stop()
	for {
		l.mu.Lock()
		st := l.state()
		left := count(st)
		if left == 0 {
			l.mu.Unlock()
			return time.Since(start), nil
		}
		if st.wake == nil {
			st.wake = make(chan struct{})
		}
		ch := st.wake
		l.mu.Unlock()
		var cause error
		select {
		case <-ch:
			continue
		case <-timer.C:
			cause = context.DeadlineExceeded
		case <-ctx.Done():
			cause = ctx.Err()
		}
		return time.Since(start), &DrainError{Key: n, InFlight: left, Waited: time.Since(start), Err: cause}
	}
}

// handOff keeps tok, obtained with the set in use, for the clients reading
// this source, then waits (as Drain) until every request that began before it
// has its answer: none of them can still be asking for a token with the old secret.
func (l *LiveSource) handOff(ctx context.Context, tok AccessToken, max time.Duration) (time.Duration, error) {
	l.mu.Lock()
	st := l.state()
	st.token = &tok
	st.epoch++
	e := st.epoch
	l.mu.Unlock()
	return l.wait(ctx, ClientSecret, max, func(st *liveState) int {
		n := 0
		for k, c := range st.byEpoch {
			if k < e {
				n += c
			}
		}
		return n
	})
}

// HandedToken returns the token a [LiveStrategy] rotation handed over for
// this client id and secret at tokenURL, if any
// ([github.com/vippsportal/sdk/portal.WithKeySource] reads it).
func (l *LiveSource) HandedToken(clientID string, clientSecret vipps.Secret, tokenURL string) (AccessToken, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.state().token
	if t == nil || t.TokenURL != tokenURL || !t.IssuedTo(clientID, clientSecret) {
		return AccessToken{}, false
	}
	return *t, true
}

// String names the sales unit and the key in use, never a value.
func (l *LiveSource) String() string {
	if l == nil {
		return "keys.LiveSource(nil)"
	}
	set, n := l.Current()
	return fmt.Sprintf("keys.LiveSource{msn: %s, environment: %s, inUse: %s}", set.MSN, set.Environment, n)
}

// GoString is String (the %#v verb).
func (l *LiveSource) GoString() string { return l.String() }

// Format prints String for every verb.
func (l *LiveSource) Format(s fmt.State, _ rune) { _, _ = io.WriteString(s, l.String()) }

// LogValue logs the sales unit, the key in use and the version, never a value.
func (l *LiveSource) LogValue() slog.Value {
	if l == nil {
		return slog.StringValue("keys.LiveSource(nil)")
	}
	set, n := l.Current()
	return slog.GroupValue(slog.String("msn", set.MSN), slog.String("environment", string(set.Environment)),
		slog.String("inUse", string(n)), slog.Uint64("version", l.Version()))
}

// sourceJSON is what JSON shows of a source: names, never values.
type sourceJSON struct {
	Path        string            `json:"path,omitempty"`
	MSN         string            `json:"msn"`
	Environment vipps.Environment `json:"environment"`
	InUse       Name              `json:"inUse"`
	Version     uint64            `json:"version"`
}

// MarshalJSON shows the sales unit, the key in use and the version, never a value.
func (l *LiveSource) MarshalJSON() ([]byte, error) {
	if l == nil {
		return []byte("null"), nil
	}
	l.mu.Lock()
	st := l.state()
	j := sourceJSON{MSN: st.set.MSN, Environment: st.set.Environment, InUse: st.inUse, Version: st.version}
	l.mu.Unlock()
	return json.Marshal(j)
}
