package core

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vippsportal/sdk/vipps"
)

// errRedirect refuses every redirect of HTTPClient: following one could carry
// the credentials somewhere they were not configured for. (The transport
// refuses a redirect first, with the host alone; this is the second line.)
var errRedirect = errors.New("vipps: redirect refused (the SDK's HTTP client follows none)")

// BaseURL is the root of the Access Token and Management APIs, without a trailing slash.
func (c *Client) BaseURL() string { return c.base }

// HTTPClient is an *http.Client for the caller's own calls to other Vipps APIs
// on the client's base URL. See portal.Client.HTTPClient.
func (c *Client) HTTPClient() *http.Client {
	u, _ := url.Parse(c.base) // checked by New
	return &http.Client{
		Transport: &authTransport{c: c, scheme: u.Scheme, host: hostPort(u.Scheme, u.Host), rt: c.guard.rt,
			timeout: c.guard.timeout, expired: c.guard.expired},
		CheckRedirect: func(*http.Request, []*http.Request) error { return errRedirect },
		Timeout:       c.retry.HTTPClient.Timeout, // the caller's (WithHTTPClient), if any
		Jar:           nil,                        // no cookies: nothing but the credentials goes along
	}
}

// hostPort is host (of a URL with scheme) with its port made explicit, lower case.
func hostPort(scheme, host string) string {
	u := url.URL{Scheme: scheme, Host: host}
	port := u.Port()
	if port == "" {
		port = "443"
		if scheme == "http" {
			port = "80"
		}
	}
	return strings.ToLower(u.Hostname()) + ":" + port
}

// authTransport authenticates requests to the base URL with the live key set
// and the client's token cache, and refuses every other destination. The
// attempt timeout bounds each attempt until its answer's headers arrive; the
// body is then read under the caller's context alone (a download may take
// longer than an attempt).
type authTransport struct {
	c       *Client
	scheme  string
	host    string
	rt      http.RoundTripper // the caller's transport (or the SDK's own)
	timeout time.Duration
	expired *AttemptTimeoutError
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	closeBody := func() {
		if req.Body != nil {
			_ = req.Body.Close()
		}
	}
	// Refuse rather than send without credentials: a request meant for Vipps
	// that silently goes out unauthenticated (or to a look-alike host) is a
	// mistake better seen at once, and nothing secret can leak this way. The
	// Host header counts as much as the URL: it names the host that answers.
	if req.URL == nil || req.URL.Scheme != t.scheme || hostPort(req.URL.Scheme, req.URL.Host) != t.host {
		closeBody()
		return nil, Invalid("request URL", "must be on the client's base URL %s://%s: this client sends credentials nowhere else (use another http.Client for other hosts)", t.scheme, t.host)
	}
	if req.Host != "" && hostPort(t.scheme, req.Host) != t.host {
		closeBody()
		return nil, Invalid("request Host", "must be empty or the base URL's host %s: this client sends credentials to no other host", t.host)
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
		actx, cancel := context.WithCancelCause(ctx)
		out := req.Clone(actx)
		if attempt > 0 && req.GetBody != nil {
			if out.Body, err = req.GetBody(); err != nil {
				cancel(nil)
				return nil, err
			}
		}
		t.setHeaders(ctx, out.Header, creds, tok)
		resp, err := t.send(out, cancel)
		if err != nil {
			return nil, err
		}
		if isRedirect(resp) {
			return nil, t.refuseRedirect(out, resp, attempt+1, creds, tok)
		}
		if resp.StatusCode != http.StatusUnauthorized || attempt > 0 || !replayable {
			return resp, nil
		}
		// A 401: the token was revoked or expired early, or the keys changed
		// under us. Fetch another token (reading the source again) and resend once.
		drainClose(resp.Body)
		t.c.tokens.invalidate(creds, t.c.base, tok.AccessToken)
		creds, done, _ = t.c.reacquire(ctx, creds, done)
	}
}

// setHeaders adds the SDK's headers and the key set's credentials to the
// caller's: a Merchant-Serial-Number of the caller's own stays unless WithMSN
// says otherwise.
func (t *authTransport) setHeaders(ctx context.Context, h http.Header, creds vipps.Credentials, tok *Token) {
	for _, kv := range t.c.headers {
		if _, set := h[kv.name]; !set {
			h[kv.name] = kv.value
		}
	}
	_, explicitMSN := msnFrom(ctx)
	for _, kv := range credentialHeaders(creds) {
		if kv.name == "Merchant-Serial-Number" && !explicitMSN && h.Get(kv.name) != "" {
			continue
		}
		h[kv.name] = kv.value
	}
	h["Authorization"] = tok.bearerHdr
}

// send is one attempt of req, whose context cancel ends: the attempt timeout
// bounds it until the answer's headers arrive, and the answer's body keeps the
// context until it is read to the end or closed.
func (t *authTransport) send(req *http.Request, cancel context.CancelCauseFunc) (*http.Response, error) {
	timer := time.AfterFunc(t.timeout, func() { cancel(t.expired) })
	resp, err := t.rt.RoundTrip(req)
	if !timer.Stop() { // the time was up as the headers came: the attempt is over
		if err == nil {
			drainClose(resp.Body)
		}
		err = t.expired
	}
	if err != nil {
		cancel(nil)
		return nil, err
	}
	resp.Body = &releasingBody{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// isRedirect reports an answer http.Client would follow.
func isRedirect(resp *http.Response) bool {
	switch resp.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return resp.Header.Get("Location") != ""
	}
	return false
}

// refuseRedirect is the error of a redirect: a *vipps.Error that names the
// host it pointed to, never the Location's path or query (a server could have
// put anything there), as the services' calls report one.
func (t *authTransport) refuseRedirect(req *http.Request, resp *http.Response, attempts int, creds vipps.Credentials, tok *Token) error {
	defer drainClose(resp.Body)
	if resp.Request == nil { // a relative Location is resolved against the request
		resp.Request = req
	}
	return &vipps.Error{StatusCode: resp.StatusCode, Method: req.Method, Path: req.URL.Path,
		RedirectHost: redirectHost(resp, redactor(creds, tok.bearer)), Attempts: attempts}
}

// releasingBody ends its request's context once it is read to the end or closed.
type releasingBody struct {
	io.ReadCloser
	cancel context.CancelCauseFunc
}

func (b *releasingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.cancel(nil)
	}
	return n, err
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel(nil)
	return err
}
