package core

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// errRedirect refuses every redirect of HTTPClient: following one could carry
// the credentials somewhere they were not configured for.
var errRedirect = errors.New("vipps: redirect refused (the SDK's HTTP client follows none)")

// BaseURL is the root of the Access Token and Management APIs, without a trailing slash.
func (c *Client) BaseURL() string { return c.base }

// HTTPClient is an *http.Client for the caller's own calls to other Vipps APIs
// on the client's base URL. See portal.Client.HTTPClient.
func (c *Client) HTTPClient() *http.Client {
	hc := c.retry.HTTPClient
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	u, _ := url.Parse(c.base) // checked by New
	return &http.Client{
		Transport:     &authTransport{c: c, scheme: u.Scheme, host: hostPort(u), next: next},
		CheckRedirect: func(*http.Request, []*http.Request) error { return errRedirect },
		Timeout:       hc.Timeout,
		Jar:           nil, // no cookies: nothing but the credentials goes along
	}
}

// hostPort is u's host with its port made explicit, lower case.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "443"
		if u.Scheme == "http" {
			port = "80"
		}
	}
	return strings.ToLower(u.Hostname()) + ":" + port
}

// authTransport authenticates requests to the base URL with the live key set
// and the client's token cache, and refuses every other destination.
type authTransport struct {
	c      *Client
	scheme string
	host   string
	next   http.RoundTripper
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	closeBody := func() {
		if req.Body != nil {
			_ = req.Body.Close()
		}
	}
	// Refuse rather than send without credentials: a request meant for Vipps
	// that silently goes out unauthenticated (or to a look-alike host) is a
	// mistake better seen at once, and nothing secret can leak this way.
	if req.URL == nil || req.URL.Scheme != t.scheme || hostPort(req.URL) != t.host {
		closeBody()
		return nil, Invalid("request URL", "must be on the client's base URL %s://%s: this client sends credentials nowhere else (use another http.Client for other hosts)", t.scheme, t.host)
	}
	ctx := req.Context()
	creds, done, err := t.c.acquire(ctx)
	defer func() { done() }()
	if err != nil {
		closeBody()
		return nil, err
	}
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	for attempt := 0; ; attempt++ {
		tok, err := t.c.tokens.get(ctx, creds, t.c.base)
		if err != nil && attempt == 0 && keysRefused(err) {
			var ok bool
			if creds, done, ok = t.c.reacquire(ctx, creds, done); ok {
				tok, err = t.c.tokens.get(ctx, creds, t.c.base)
			}
		}
		if err != nil {
			closeBody()
			return nil, err
		}
		out := req.Clone(ctx)
		if attempt > 0 && req.GetBody != nil {
			if out.Body, err = req.GetBody(); err != nil {
				return nil, err
			}
		}
		h := out.Header
		for _, kv := range t.c.headers {
			if _, set := h[kv.name]; !set {
				h[kv.name] = kv.value
			}
		}
		_, explicitMSN := msnFrom(ctx)
		for _, kv := range credentialHeaders(creds) {
			if kv.name == "Merchant-Serial-Number" && !explicitMSN && h.Get(kv.name) != "" {
				continue // the caller's own header, when WithMSN does not say otherwise
			}
			h[kv.name] = kv.value
		}
		h["Authorization"] = []string{tok.bearer.Reveal()}
		resp, err := t.next.RoundTrip(out)
		if err != nil || resp.StatusCode != http.StatusUnauthorized || attempt > 0 || !replayable {
			return resp, err
		}
		// A 401: the token was revoked or expired early, or the keys changed
		// under us. Fetch another token (reading the source again) and resend once.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		_ = resp.Body.Close()
		t.c.tokens.invalidate(creds, t.c.base, tok.AccessToken)
		creds, done, _ = t.c.reacquire(ctx, creds, done)
	}
}
