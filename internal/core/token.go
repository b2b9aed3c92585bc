package core

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/vippsportal/sdk/vipps"
)

// Token is an access token from POST /accesstoken/get.
type Token struct {
	AccessToken vipps.Secret
	TokenType   string
	ExpiresIn   time.Duration
	ExpiresOn   time.Time // the server's claim, for information only
	Received    time.Time // our clock when the answer arrived: the cache counts from here

	bearer     vipps.Secret // "Bearer " + AccessToken, built once for the Authorization header
	bearerHdr  []string     // the same as a header value, shared by every request
	validUntil time.Time    // ValidUntil, computed once for the cache's fast path
}

// tokenMargin is how long before Received+ExpiresIn a cached token is given up,
// so a token never expires between our check and the server's.
func tokenMargin(expiresIn time.Duration) time.Duration {
	return min(time.Minute, expiresIn/10)
}

// ValidUntil is the time after which the cache fetches a new token.
func (t *Token) ValidUntil() time.Time {
	return t.Received.Add(t.ExpiresIn - tokenMargin(t.ExpiresIn))
}

// flexString accepts a JSON string or number: Vipps sends numbers as strings,
// other gateways do not.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
	case bytes.Equal(b, []byte("null")):
		*f = ""
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*f = flexString(n)
	}
	return nil
}

type tokenBody struct {
	TokenType   flexString `json:"token_type"`
	ExpiresIn   flexString `json:"expires_in"`
	ExpiresOn   flexString `json:"expires_on"`
	AccessToken flexString `json:"access_token"`
}

// ParseToken reads a token answer received at the given time.
func ParseToken(body []byte, received time.Time) (*Token, error) {
	var b tokenBody
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, fmt.Errorf("token answer is not the expected JSON: %w", err)
	}
	if b.AccessToken == "" {
		return nil, errors.New("token answer has no access_token")
	}
	if err := checkTokenType(string(b.TokenType)); err != nil {
		return nil, err
	}
	t := &Token{AccessToken: vipps.Secret(b.AccessToken), TokenType: string(b.TokenType), Received: received,
		bearer: vipps.Secret("Bearer " + string(b.AccessToken))}
	t.bearerHdr = []string{t.bearer.Reveal()}
	if b.ExpiresIn != "" {
		secs, err := strconv.ParseFloat(string(b.ExpiresIn), 64)
		if err != nil || !(secs >= 0 && secs <= 1e9) { // also refuses NaN
			// The value itself is not quoted: a server may have put anything there, a secret included.
			return nil, errors.New("token answer has an unusable expires_in (want a number of seconds)")
		}
		t.ExpiresIn = time.Duration(secs * float64(time.Second))
	}
	if on, err := strconv.ParseInt(string(b.ExpiresOn), 10, 64); err == nil && on > 0 {
		t.ExpiresOn = time.Unix(on, 0)
	}
	return t, nil
}

// checkTokenType accepts a Bearer token (the name is case-insensitive, RFC
// 6749 section 5.1) and an answer that names no type; any other type (mac,
// Basic ...) is refused, never sent as if it were Bearer (section 7.1).
func checkTokenType(tt string) error {
	tt = strings.TrimSpace(tt)
	switch {
	case tt == "" || strings.EqualFold(tt, "Bearer"):
		return nil
	case isTypeName(tt):
		return fmt.Errorf("token answer has token_type %q; the SDK sends only Bearer tokens (RFC 6749 section 7.1)", tt)
	}
	// Not a type's name: not quoted, a server may have put anything there.
	return errors.New("token answer has an unusable token_type; the SDK sends only Bearer tokens (RFC 6749 section 7.1)")
}

// isTypeName reports whether s looks like a token type's name (mac, DPoP):
// short, letters, digits, '-' and '_'.
func isTypeName(s string) bool {
	if len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Token endpoints of the two flows.
const (
	standardTokenPath    = "/accesstoken/get"
	specializedTokenPath = "/miami/v1/token"
	// specializedTTL is the lifetime of a specialized-flow token when its answer
	// gives none: Vipps issues them for 15 minutes.
	specializedTTL = 15 * time.Minute
)

var (
	standardTokenRequest  = &Request{Group: GroupToken, Operation: "fetchAuthorizationTokenUsingPost", Method: http.MethodPost, Path: standardTokenPath}
	specialTokenRequest   = &Request{Group: GroupToken, Operation: "fetchToken", Method: http.MethodPost, Path: specializedTokenPath}
	clientCredentialsBody = []byte("grant_type=client_credentials")
	formContentType       = []string{"application/x-www-form-urlencoded"}
)

// basicCredentials is the specialized flow's HTTP Basic credential: the
// client id and secret each form-encoded (application/x-www-form-urlencoded),
// as RFC 6749 section 2.3.1 has clients do, then joined by ':' in base64. So a
// secret holding '+' or "%2B", or a client id holding ':', arrives as it is.
func basicCredentials(creds vipps.Credentials) string {
	return base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(creds.ClientID) + ":" + url.QueryEscape(creds.ClientSecret.Reveal())))
}

func tokenRequestOf(creds vipps.Credentials) *Request {
	if creds.Specialized() {
		return specialTokenRequest
	}
	return standardTokenRequest
}

// FetchToken asks root's token endpoint of creds' flow for a token, outside the cache.
func (c *Client) FetchToken(ctx context.Context, creds vipps.Credentials, root string) (tok *Token, err error) {
	if err := c.ready(ctx); err != nil {
		return nil, err
	}
	r := tokenRequestOf(creds)
	ctx, end := c.traceCall(ctx, r)
	startResponse(ctx, r.Operation)
	var ans *Answer
	defer func() {
		finishResponse(ctx, r.Operation, ans, err)
		end(err)
	}()
	tok, ans, err = c.fetchToken(ctx, creds, root)
	return tok, err
}

// fetchToken is one token request: the cache's, and FetchToken's.
func (c *Client) fetchToken(ctx context.Context, creds vipps.Credentials, root string) (*Token, *Answer, error) {
	o := outgoing{r: tokenRequestOf(creds), root: root, creds: creds, token: true}
	if creds.Specialized() {
		body := clientCredentialsBody
		if creds.Scope != "" {
			body = []byte(url.Values{"grant_type": {"client_credentials"}, "scope": {creds.Scope}}.Encode())
		}
		o = outgoing{r: specialTokenRequest, root: root, creds: creds, body: body,
			ctype: formContentType, auth: vipps.Secret("Basic " + basicCredentials(creds))}
	}
	r := o.r
	resp, st, err := c.send(ctx, o)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, c.decodeFailure(r, resp, st, creds, "")
	}
	defer drainClose(resp.Body)
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if err != nil {
		return nil, nil, &vipps.Error{StatusCode: resp.StatusCode, Operation: r.Operation, Method: r.Method, Path: r.Path, Attempts: st.attempts, Err: err}
	}
	tok, err := ParseToken(body, c.now())
	if err != nil {
		return nil, nil, &vipps.Error{StatusCode: resp.StatusCode, Operation: r.Operation, Method: r.Method, Path: r.Path, Attempts: st.attempts,
			Err: RedactError(err, redactor(creds, o.auth))}
	}
	if tok.ExpiresIn == 0 && creds.Specialized() {
		tok.ExpiresIn = specializedTTL
	}
	tok.validUntil = tok.ValidUntil()
	return tok, &Answer{StatusCode: resp.StatusCode, Header: resp.Header, Attempts: st.attempts}, nil
}

// Token returns a cached or new token for the client's own credentials at the
// token endpoint of group (the base URL for Management, the portal URL for portal calls).
func (c *Client) Token(ctx context.Context, group Group) (*Token, error) {
	if err := c.ready(ctx); err != nil {
		return nil, err
	}
	creds := c.credentials(ctx)
	_, root, err := c.roots(&Request{Group: group, Operation: "fetchAuthorizationTokenUsingPost"}, creds)
	if err != nil {
		return nil, err
	}
	return c.tokens.get(ctx, creds, root)
}

// tokenCache holds one token per key set and token endpoint. A cached token
// is read without a lock (one atomic load). When there is none, callers take
// turns (a one-slot semaphore, which each waits for only as long as its own
// context lets it): the first fetches, and those that waited meanwhile find
// the token (or share the fetch's failure) when their turn comes. So one fetch
// serves them all, and they go on one after another, as a mutex would release
// them, rather than all at once: on a cold start of many callers, the
// connections the first ones open are free again for the later ones.
type tokenCache struct {
	c       *Client
	mu      sync.Mutex // guards entries
	entries map[tokenKey]*tokenEntry
	own     map[string]*tokenEntry // the client's own key set per token endpoint: read-only, no lock
}

type tokenKey struct {
	root     string
	flow     vipps.AuthFlow
	clientID string
	scope    string            // a token of one scope is not one of another
	sum      [sha256.Size]byte // of the secrets: the map never holds them in the clear twice
}

type tokenEntry struct {
	tok  atomic.Pointer[Token]
	turn *semaphore.Weighted // one caller at a time looks for a token and, finding none, fetches it
	// fetches counts the fetches that ended; failed is the last one's failure
	// (nil after a success), shared with the callers that waited for it.
	fetches atomic.Uint64
	failed  atomic.Pointer[failure]
	mu      sync.Mutex // guards handed
	handed  bool       // took a token handed over by a rotation (see Client.handedToken)
}

// failure is a fetch that failed, and what it saw of the token endpoint's
// answer (for the WithResponse holders of the callers that share it).
type failure struct {
	err    error
	answer vipps.Response
}

func newTokenEntry() *tokenEntry { return &tokenEntry{turn: semaphore.NewWeighted(1)} }

func newTokenCache(c *Client) *tokenCache {
	tc := &tokenCache{c: c, entries: map[tokenKey]*tokenEntry{}, own: map[string]*tokenEntry{}}
	for _, root := range []string{c.base, c.portal} {
		if root != "" {
			e := newTokenEntry()
			tc.own[root] = e
			tc.entries[keyOf(c.cfg.Credentials, root)] = e
		}
	}
	return tc
}

// entryFor finds the entry of a key set and token endpoint: the client's own
// without hashing or locking.
func (tc *tokenCache) entryFor(creds vipps.Credentials, root string) *tokenEntry {
	if creds == tc.c.cfg.Credentials {
		if e, ok := tc.own[root]; ok {
			return e
		}
	}
	key := keyOf(creds, root)
	tc.mu.Lock()
	defer tc.mu.Unlock()
	e := tc.entries[key]
	if e == nil {
		e = newTokenEntry()
		tc.entries[key] = e
	}
	return e
}

func keyOf(creds vipps.Credentials, root string) tokenKey {
	h := sha256.New()
	_, _ = io.WriteString(h, creds.ClientSecret.Reveal())
	_, _ = h.Write([]byte{0})
	_, _ = io.WriteString(h, creds.SubscriptionKey.Reveal())
	k := tokenKey{root: root, flow: creds.Flow, clientID: creds.ClientID, scope: creds.Scope}
	if k.flow == "" {
		k.flow = vipps.StandardAuth
	}
	h.Sum(k.sum[:0])
	return k
}

func (tc *tokenCache) get(ctx context.Context, creds vipps.Credentials, root string) (*Token, error) {
	e := tc.entryFor(creds, root)
	if t := tc.valid(e); t != nil {
		return t, nil
	}
	return tc.fetch(ctx, e, creds, root)
}

// valid is e's cached token while it is valid, or nil.
func (tc *tokenCache) valid(e *tokenEntry) *Token {
	if t := e.tok.Load(); t != nil && tc.c.now().Before(t.validUntil) {
		return t
	}
	return nil
}

// fetch waits for its turn, then takes the token a fetch that ended
// meanwhile stored (or the failure it shared), or fetches one itself. A panic
// in the fetch (in the caller's transport or slog handler, say) reaches this
// caller and gives the turn back on its way: nothing stays locked.
func (tc *tokenCache) fetch(ctx context.Context, e *tokenEntry, creds vipps.Credentials, root string) (*Token, error) {
	seen := e.fetches.Load()
	if err := e.turn.Acquire(ctx, 1); err != nil {
		r := tokenRequestOf(creds)
		return nil, &vipps.Error{Operation: r.Operation, Method: r.Method, Path: r.Path, Err: ctx.Err()}
	}
	defer e.turn.Release(1)
	if t := tc.valid(e); t != nil {
		return t, nil
	}
	// A fetch that ended while this caller waited failed: its failure is
	// this caller's too, unless it was only its own caller's context ending.
	if f := e.failed.Load(); f != nil && e.fetches.Load() != seen && !isContextErr(f.err) {
		if meta := responseOf(ctx); meta != nil && f.answer.StatusCode != 0 {
			*meta = f.answer
			meta.Header = f.answer.Header.Clone()
		}
		return nil, ownCopy(f.err)
	}
	if t := tc.takeHanded(e, creds, root); t != nil {
		return t, nil
	}
	var answer vipps.Response // the call's own holder records the call's answer, not the token's
	tok, _, err := tc.c.fetchToken(context.WithValue(ctx, responseKey{}, &answer), creds, root)
	if err != nil {
		if meta := responseOf(ctx); meta != nil && answer.StatusCode != 0 {
			*meta = answer
		}
		e.failed.Store(&failure{err: ownCopy(err), answer: answer})
	} else {
		e.tok.Store(tok)
		e.failed.Store(nil)
	}
	e.fetches.Add(1)
	return tok, err
}

// takeHanded takes a token a rotation handed over, once: no request with a
// secret about to change. After a 401 the cache fetches its own.
func (tc *tokenCache) takeHanded(e *tokenEntry, creds vipps.Credentials, root string) *Token {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.handed {
		return nil
	}
	t := tc.c.handedToken(creds, root)
	if t != nil {
		e.tok.Store(t)
		e.handed = true
	}
	return t
}

// ownCopy gives each caller its own *vipps.Error of a shared fetch: calls
// record their attempts and Idempotency-Key in it.
func ownCopy(err error) error {
	if e, ok := err.(*vipps.Error); ok {
		c := *e
		return &c
	}
	return err
}

// invalidate drops the cached token if it is still the one that failed.
func (tc *tokenCache) invalidate(creds vipps.Credentials, root string, failed vipps.Secret) {
	e := tc.entryFor(creds, root)
	if t := e.tok.Load(); t != nil && t.AccessToken == failed {
		e.tok.CompareAndSwap(t, nil)
	}
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
