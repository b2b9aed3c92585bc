package core

import (
	"context"
	"net/http"
	"time"

	"github.com/vippsportal/sdk/vipps"
)

// KeySource is a live key set (core cannot import keys: portal adapts a
// keys.Source into one). When Config.KeySource is set, every call, token
// requests included, takes its credentials from it.
type KeySource interface {
	// Acquire returns the credentials to use now and done, which the caller
	// runs once the request carrying them has its answer (the source counts
	// requests in flight per subscription key with it).
	Acquire() (vipps.Credentials, func())
	// Reload reads the keys again at once: Vipps refused the ones in use.
	Reload(ctx context.Context)
	// HandedToken returns a token obtained elsewhere (by a rotation) for the
	// client id and secret at tokenURL, or nil.
	HandedToken(clientID string, clientSecret vipps.Secret, tokenURL string) *Token
}

// NewToken builds a Token from its parts (a token handed over by a rotation).
func NewToken(value vipps.Secret, received time.Time, expiresIn time.Duration) *Token {
	t := &Token{AccessToken: value, TokenType: "Bearer", Received: received, ExpiresIn: expiresIn,
		bearer: vipps.Secret("Bearer " + value.Reveal())}
	t.bearerHdr = []string{t.bearer.Reveal()}
	t.validUntil = t.ValidUntil()
	return t
}

type msnKey struct{}

// WithMSN makes calls with ctx send Merchant-Serial-Number msn (checked when the call is made).
func WithMSN(ctx context.Context, msn string) context.Context {
	return context.WithValue(ctx, msnKey{}, msn)
}

// MSN is the Merchant-Serial-Number a call made with ctx sends: WithMSN's, else
// the key set's; "" when it sends none (a partner acting partner-wide).
func (c *Client) MSN(ctx context.Context) string {
	if c == nil {
		return ""
	}
	return c.current(ctx).MSN
}

func msnFrom(ctx context.Context) (string, bool) {
	v, ok := ctx.Value(msnKey{}).(string)
	return v, ok
}

func noop() {}

// current is the key set a call made with ctx uses, without tracking.
func (c *Client) current(ctx context.Context) vipps.Credentials {
	creds, done := c.acquireRaw()
	done()
	if msn, ok := msnFrom(ctx); ok && CheckMSN("WithMSN", msn) == nil {
		creds.MSN = msn
	}
	return creds
}

func (c *Client) acquireRaw() (vipps.Credentials, func()) {
	if c.cfg.KeySource == nil {
		return c.cfg.Credentials, noop
	}
	return c.cfg.KeySource.Acquire()
}

// acquire returns the credentials of one call and done, to run once it is
// answered. A Merchant-Serial-Number from WithMSN replaces the set's; a bad one
// is refused before anything is sent.
func (c *Client) acquire(ctx context.Context) (vipps.Credentials, func(), error) {
	msn, override := msnFrom(ctx)
	if override {
		if err := CheckMSN("WithMSN", msn); err != nil {
			return vipps.Credentials{}, noop, err
		}
	}
	creds, done := c.acquireRaw()
	if override {
		creds.MSN = msn
	}
	return creds, done, nil
}

// keysRefused reports whether err is Vipps refusing the keys themselves: a 401
// invalid_client from the token endpoint or the gateway's 401 (subscription key).
func keysRefused(err error) bool {
	e, ok := err.(*vipps.Error)
	return ok && e.StatusCode == http.StatusUnauthorized && (e.Problem == "invalid_client" || e.Problem == vipps.ProblemGateway)
}

// reacquire, after Vipps refused creds, reloads the key source once and
// returns the new credentials; ok is false when there is no source or its
// keys did not change (the call then fails as it is).
func (c *Client) reacquire(ctx context.Context, creds vipps.Credentials, done func()) (vipps.Credentials, func(), bool) {
	if c.cfg.KeySource == nil {
		return creds, done, false
	}
	c.cfg.KeySource.Reload(ctx)
	next, nextDone, err := c.acquire(ctx)
	if err != nil || next == creds {
		nextDone()
		return creds, done, false
	}
	done()
	return next, nextDone, true
}

// handedToken is a valid token a rotation handed to the key source for creds at root, or nil.
func (c *Client) handedToken(creds vipps.Credentials, root string) *Token {
	if c.cfg.KeySource == nil {
		return nil
	}
	t := c.cfg.KeySource.HandedToken(creds.ClientID, creds.ClientSecret, root)
	if t == nil || !c.now().Before(t.ValidUntil()) {
		return nil
	}
	return t
}

// HoldToken puts tok, issued at the token endpoint root to the keys issuedTo
// accepts, into the cache for the client's current key set, unless the cache
// holds a valid token already. It refuses a token of other keys or of another
// endpoint (naming field).
func (c *Client) HoldToken(field string, tok *Token, issuedTo func(clientID string, clientSecret vipps.Secret) bool, root string) error {
	creds := c.current(context.Background())
	if root != c.base && root != c.portal {
		return Invalid(field, "was issued by another token endpoint than this client's")
	}
	if !issuedTo(creds.ClientID, creds.ClientSecret) {
		return Invalid(field, "was obtained with other keys than this client's")
	}
	if !c.now().Before(tok.ValidUntil()) {
		return Invalid(field, "has expired")
	}
	e := c.tokens.entryFor(creds, root)
	e.mu.Lock()
	defer e.mu.Unlock()
	if cur := e.tok.Load(); cur == nil || !c.now().Before(cur.ValidUntil()) {
		e.tok.Store(tok)
	}
	return nil
}
