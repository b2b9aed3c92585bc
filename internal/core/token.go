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
	"strconv"
	"sync"
	"time"

	"github.com/vippsportal/sdk/internal/secret"
)

// Token is an access token from POST /accesstoken/get.
type Token struct {
	AccessToken secret.Secret
	TokenType   string
	ExpiresIn   time.Duration
	ExpiresOn   time.Time // the server's claim, for information only
	Received    time.Time // our clock when the answer arrived: the cache counts from here

	bearer secret.Secret // "Bearer " + AccessToken, built once for the Authorization header
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
	t := &Token{AccessToken: secret.Secret(b.AccessToken), TokenType: string(b.TokenType), Received: received,
		bearer: secret.Secret("Bearer " + string(b.AccessToken))}
	if b.ExpiresIn != "" {
		secs, err := strconv.ParseFloat(string(b.ExpiresIn), 64)
		if err != nil || !(secs >= 0 && secs <= 1e9) { // also refuses NaN
			return nil, fmt.Errorf("token answer has an unusable expires_in %q", string(b.ExpiresIn))
		}
		t.ExpiresIn = time.Duration(secs * float64(time.Second))
	}
	if on, err := strconv.ParseInt(string(b.ExpiresOn), 10, 64); err == nil && on > 0 {
		t.ExpiresOn = time.Unix(on, 0)
	}
	return t, nil
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

func tokenRequestOf(creds Credentials) *Request {
	if creds.Specialized() {
		return specialTokenRequest
	}
	return standardTokenRequest
}

// FetchToken asks root's token endpoint of creds' flow for a token, outside the cache.
func (c *Client) FetchToken(ctx context.Context, creds Credentials, root string) (*Token, error) {
	if ctx == nil {
		return nil, Invalid("ctx", "must not be nil (use context.Background())")
	}
	o := &outgoing{r: tokenRequestOf(creds), root: root, creds: creds, token: true}
	if creds.Specialized() {
		basic := base64.StdEncoding.EncodeToString([]byte(creds.ClientID + ":" + creds.ClientSecret.Reveal()))
		o = &outgoing{r: specialTokenRequest, root: root, creds: creds, body: clientCredentialsBody,
			ctype: formContentType, auth: secret.Secret("Basic " + basic)}
	}
	r := o.r
	resp, st, err := c.send(ctx, o)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, c.decodeFailure(r, resp, st, creds, "")
	}
	defer drainClose(resp.Body)
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if err != nil {
		return nil, &Error{StatusCode: resp.StatusCode, Operation: r.Operation, Method: r.Method, Path: r.Path, Attempts: st.attempts, Err: err}
	}
	tok, err := ParseToken(body, c.now())
	if err != nil {
		return nil, &Error{StatusCode: resp.StatusCode, Operation: r.Operation, Method: r.Method, Path: r.Path, Attempts: st.attempts, Err: err}
	}
	if tok.ExpiresIn == 0 && creds.Specialized() {
		tok.ExpiresIn = specializedTTL
	}
	return tok, nil
}

// Token returns a cached or new token for the client's own credentials at the
// token endpoint of group (the base URL for Management, the portal URL for portal calls).
func (c *Client) Token(ctx context.Context, group Group) (*Token, error) {
	if ctx == nil {
		return nil, Invalid("ctx", "must not be nil (use context.Background())")
	}
	creds := c.credentials(ctx)
	_, root, err := c.roots(&Request{Group: group, Operation: "fetchAuthorizationTokenUsingPost"}, creds)
	if err != nil {
		return nil, err
	}
	return c.tokens.get(ctx, creds, root)
}

// tokenCache holds one token per key set and token endpoint. Concurrent first
// callers share one fetch.
type tokenCache struct {
	c       *Client
	mu      sync.Mutex
	entries map[tokenKey]*tokenEntry
	own     map[string]tokenKey // the client's own key set per token endpoint, hashed once
}

type tokenKey struct {
	root     string
	flow     AuthFlow
	clientID string
	sum      [sha256.Size]byte // of the secrets: the map never holds them in the clear twice
}

type tokenEntry struct {
	tok  *Token
	call *tokenCall
}

type tokenCall struct {
	done chan struct{}
	tok  *Token
	err  error
}

func newTokenCache(c *Client) *tokenCache {
	tc := &tokenCache{c: c, entries: map[tokenKey]*tokenEntry{}, own: map[string]tokenKey{}}
	for _, root := range []string{c.base, c.portal} {
		if root != "" {
			tc.own[root] = keyOf(c.cfg.Credentials, root)
		}
	}
	return tc
}

// keyFor avoids hashing the client's own secrets on every request.
func (tc *tokenCache) keyFor(creds Credentials, root string) tokenKey {
	if creds == tc.c.cfg.Credentials {
		if k, ok := tc.own[root]; ok {
			return k
		}
	}
	return keyOf(creds, root)
}

func keyOf(creds Credentials, root string) tokenKey {
	h := sha256.New()
	_, _ = io.WriteString(h, creds.ClientSecret.Reveal())
	_, _ = h.Write([]byte{0})
	_, _ = io.WriteString(h, creds.SubscriptionKey.Reveal())
	k := tokenKey{root: root, flow: creds.Flow, clientID: creds.ClientID}
	if k.flow == "" {
		k.flow = StandardAuth
	}
	h.Sum(k.sum[:0])
	return k
}

func (tc *tokenCache) get(ctx context.Context, creds Credentials, root string) (*Token, error) {
	key := tc.keyFor(creds, root)
	for {
		tc.mu.Lock()
		e := tc.entries[key]
		if e == nil {
			e = &tokenEntry{}
			tc.entries[key] = e
		}
		if e.tok != nil && tc.c.now().Before(e.tok.ValidUntil()) {
			tok := e.tok
			tc.mu.Unlock()
			return tok, nil
		}
		if e.call == nil {
			call := &tokenCall{done: make(chan struct{})}
			e.call = call
			tc.mu.Unlock()
			call.tok, call.err = tc.c.FetchToken(ctx, creds, root)
			tc.mu.Lock()
			e.call = nil
			if call.err == nil {
				e.tok = call.tok
			}
			tc.mu.Unlock()
			close(call.done)
			return call.tok, call.err
		}
		call := e.call
		tc.mu.Unlock()
		select {
		case <-call.done:
			if call.err == nil {
				return call.tok, nil
			}
			// The fetch failed on its caller's context, not ours: try again ourselves.
			if isContextErr(call.err) && ctx.Err() == nil {
				continue
			}
			return nil, call.err
		case <-ctx.Done():
			r := tokenRequestOf(creds)
			return nil, &Error{Operation: r.Operation, Method: r.Method, Path: r.Path, Err: ctx.Err()}
		}
	}
}

// invalidate drops the cached token if it is still the one that failed.
func (tc *tokenCache) invalidate(creds Credentials, root string, failed secret.Secret) {
	key := tc.keyFor(creds, root)
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if e := tc.entries[key]; e != nil && e.tok != nil && e.tok.AccessToken == failed {
		e.tok = nil
	}
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
