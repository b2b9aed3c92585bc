// Package core is the SDK's one HTTP core: every service sends its requests
// through Client.Do, which adds authentication and the Vipps headers, retries
// what is safe to retry, and turns error answers into *Error.
package core

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/vippsportal/sdk/vipps"
)

// PluginName is the SDK's name: in User-Agent, and in Vipps-System-Plugin-Name
// when the caller names no plugin of its own.
const PluginName = "vippsportal-sdk-go"

// UserAgent is the User-Agent header every request carries.
const UserAgent = PluginName + "/" + vipps.Version

// Body size bounds: answers are read at most this far, so a broken or hostile
// server cannot make the client buffer without limit.
const (
	MaxResponseBody = 16 << 20
	maxErrorBody    = 64 << 10
)

// Group names which of the three groups of operations a request belongs to:
// it decides the host, the token endpoint and whether the call is possible at all.
type Group int

const (
	GroupToken      Group = iota // POST /accesstoken/get or /miami/v1/token
	GroupManagement              // /management/... on the base URL
	GroupPortal                  // /portal/v1/... on the portal URL
	GroupWebhooks                // /webhooks/v1/... on the base URL, Production and Test alike
)

// SystemInfo fills the Vipps-System-* headers.
type SystemInfo struct {
	Name, Version, PluginName, PluginVersion string
}

// DefaultRetryPolicy returns the policy used for every zero field of a RetryPolicy.
func DefaultRetryPolicy() vipps.RetryPolicy {
	return vipps.RetryPolicy{MaxAttempts: 4, MinBackoff: 200 * time.Millisecond, MaxBackoff: 5 * time.Second,
		MaxRetryAfter: 30 * time.Second, AttemptTimeout: 30 * time.Second}
}

// Config is everything a Client needs; portal.New builds it from options.
type Config struct {
	BaseURL             string            // serves /accesstoken/get and /management
	PortalURL           string            // host root for /portal/v1; "" when not configured
	ManagementAvailable bool              // false on the test environment, where Vipps runs no Management API
	Environment         vipps.Environment // Production, Test, or "" for a custom base URL
	AllowInsecureHTTP   bool              // permit http:// to a non-loopback host
	Credentials         vipps.Credentials
	System              SystemInfo
	HTTPClient          *http.Client // the caller's: never mutated, its idle connections never closed
	Logger              *slog.Logger
	Retry               vipps.RetryPolicy
	Now                 func() time.Time // the token cache's clock; time.Now when nil
	KeySource           KeySource        // live keys (portal.WithKeySource); Credentials is then its first set
}

// Client sends requests for every service. It is safe for concurrent use.
type Client struct {
	cfg       Config
	base      string
	portal    string
	baseURL   *url.URL // base, parsed
	portalURL *url.URL // portal, parsed; nil when there is none
	headers   []header // the constant headers of every request
	ownKeys   []header // subscription key and MSN headers of the client's own key set, built once
	retry     *retryablehttp.Client
	guard     *attemptGuard // the transport of retry's client: bounds each attempt
	tokens    *tokenCache
	owned     *http.Transport // the transport the SDK built itself (no WithHTTPClient), closed by Close
	// maxRefreshes bounds the token refreshes of one call after 401s: a call
	// sends with at most RetryPolicy.MaxAttempts tokens (two at the least).
	maxRefreshes int
	logger       *slog.Logger
	now          func() time.Time
	maxRetryA    time.Duration
}

// New checks cfg and builds a Client.
func New(cfg Config) (*Client, error) {
	base, err := CheckURL("BaseURL", cfg.BaseURL, cfg.AllowInsecureHTTP)
	if err != nil {
		return nil, err
	}
	var portalURL string
	if cfg.PortalURL != "" {
		if portalURL, err = CheckURL("PortalURL", cfg.PortalURL, cfg.AllowInsecureHTTP); err != nil {
			return nil, err
		}
	}
	for _, h := range []struct{ field, value string }{
		{"System.Name", cfg.System.Name}, {"System.Version", cfg.System.Version},
		{"System.PluginName", cfg.System.PluginName}, {"System.PluginVersion", cfg.System.PluginVersion},
	} {
		if n := len([]rune(h.value)); n > 30 {
			return nil, Invalid(h.field, "is %d characters; Vipps accepts at most 30", n)
		}
		if err := CheckHeaderValue(h.field, h.value); err != nil {
			return nil, err
		}
	}
	if err := CheckCredentials("Credentials", cfg.Credentials); err != nil {
		return nil, err
	}
	cfg.Retry = retryWithDefaults(cfg.Retry)
	if cfg.Retry.MaxAttempts < 1 {
		return nil, Invalid("RetryPolicy.MaxAttempts", "must be at least 1")
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	c := &Client{cfg: cfg, base: base, portal: portalURL, logger: cfg.Logger, now: now, maxRetryA: cfg.Retry.MaxRetryAfter,
		maxRefreshes: max(1, cfg.Retry.MaxAttempts-1)}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = DefaultHTTPClient()
		c.owned, _ = hc.Transport.(*http.Transport)
	}
	c.headers = []header{{"User-Agent", []string{UserAgent}}, {"Accept", jsonContentType}}
	sys := cfg.System
	if sys.PluginName == "" && sys.PluginVersion == "" {
		// Vipps asks every integration to name itself; the SDK is the plugin
		// between the caller's system and Vipps unless the caller names another.
		sys.PluginName, sys.PluginVersion = PluginName, vipps.Version
	}
	for _, h := range []struct{ name, value string }{
		{"Vipps-System-Name", sys.Name}, {"Vipps-System-Version", sys.Version},
		{"Vipps-System-Plugin-Name", sys.PluginName}, {"Vipps-System-Plugin-Version", sys.PluginVersion},
	} {
		if h.value != "" {
			c.headers = append(c.headers, header{h.name, []string{h.value}})
		}
	}
	c.ownKeys = credentialHeaders(cfg.Credentials)
	c.baseURL, _ = url.Parse(base) // checked by CheckURL
	if portalURL != "" {
		c.portalURL, _ = url.Parse(portalURL)
	}
	c.guard = newAttemptGuard(transportOf(hc), cfg.Retry.AttemptTimeout)
	c.retry = &retryablehttp.Client{
		HTTPClient:     guarded(hc, c.guard),
		Logger:         nil, // silenced: events go to our slog logger through the hooks
		RetryWaitMin:   cfg.Retry.MinBackoff,
		RetryWaitMax:   cfg.Retry.MaxBackoff,
		RetryMax:       cfg.Retry.MaxAttempts - 1,
		CheckRetry:     c.checkRetry,
		Backoff:        c.backoff,
		ErrorHandler:   retryablehttp.PassthroughErrorHandler,
		RequestLogHook: c.onAttempt,
	}
	c.tokens = newTokenCache(c)
	return c, nil
}

// guarded is the SDK's own shallow copy of hc: it follows no redirect (a
// credential never travels to a host it was not configured for, and a 3xx is
// an answer, not a success), bounds each attempt, and hides the transport's
// CloseIdleConnections from retryablehttp, which calls it when retries run out
// and would flush a pool the caller shares.
func guarded(hc *http.Client, guard *attemptGuard) *http.Client {
	own := *hc
	own.Transport = guard
	own.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &own
}

// transportOf is hc's transport, net/http's default when it has none.
func transportOf(hc *http.Client) http.RoundTripper {
	if hc.Transport == nil {
		return http.DefaultTransport
	}
	return hc.Transport
}

// Close releases what the SDK itself owns: the idle connections of the
// transport it built (none when the caller gave a client with WithHTTPClient:
// the caller's pool stays the caller's). Safe to call more than once and
// concurrently; the client keeps working (a later call dials anew). A Client
// is meant to be shared and long-lived: build one per key set, not per call.
func (c *Client) Close() error {
	if c != nil && c.owned != nil {
		c.owned.CloseIdleConnections()
	}
	return nil
}

func retryWithDefaults(p vipps.RetryPolicy) vipps.RetryPolicy {
	d := DefaultRetryPolicy()
	if p.MaxAttempts != 0 {
		d.MaxAttempts = p.MaxAttempts
	}
	if p.MinBackoff > 0 {
		d.MinBackoff = p.MinBackoff
	}
	if p.MaxBackoff > 0 {
		d.MaxBackoff = p.MaxBackoff
	}
	if d.MaxBackoff < d.MinBackoff {
		d.MaxBackoff = d.MinBackoff
	}
	if p.MaxRetryAfter > 0 {
		d.MaxRetryAfter = p.MaxRetryAfter
	}
	if p.AttemptTimeout > 0 {
		d.AttemptTimeout = p.AttemptTimeout
	}
	return d
}

// DefaultHTTPClient is a pooled client whose idle-connection limit per host suits
// many concurrent workers (net/http's default keeps only 2), so bulk work reuses
// connections instead of dialling and discarding them. It opens at most as
// many connections per host as it keeps idle: a thousand calls that start at
// once (a cold start) wait for a connection rather than dial one each and
// close most of them again. (Over HTTP/2 one connection carries many calls.)
func DefaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 128
	t.MaxConnsPerHost = 128
	t.IdleConnTimeout = 90 * time.Second
	return &http.Client{Transport: t}
}

// CheckURL validates a base or portal URL and returns it without a trailing slash.
// Plain http is allowed to loopback hosts, or anywhere with allowInsecure.
func CheckURL(field, raw string, allowInsecure bool) (string, error) {
	if raw == "" {
		return "", Invalid(field, "is empty; give an absolute http(s) URL")
	}
	if strings.IndexFunc(raw, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 {
		return "", Invalid(field, "must not contain spaces or control characters")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", Invalid(field, "must be an absolute http(s) URL")
	}
	if u.Hostname() == "" {
		return "", Invalid(field, "has no host name")
	}
	if strings.HasSuffix(u.Host, ":") {
		return "", Invalid(field, "has an empty port")
	}
	if port := u.Port(); port != "" {
		if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
			return "", Invalid(field, "has a port outside 1-65535")
		}
	}
	if u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.ContainsAny(raw, "?#") {
		return "", Invalid(field, "must not carry user info, a query or a fragment")
	}
	if u.Scheme == "http" && !allowInsecure && !IsLoopback(u.Hostname()) {
		return "", Invalid(field, "uses plain http to the non-loopback host %q; use https or WithInsecureHTTP()", u.Hostname())
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// IsLoopback reports whether host is localhost or a loopback IP.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Credentials returns the client's key set.
func (c *Client) Credentials() vipps.Credentials {
	if c == nil {
		return vipps.Credentials{}
	}
	return c.cfg.Credentials
}

// credentials is the key set a call made with ctx uses: every request, token
// requests included, takes its keys from here (the seam for live key sources).
func (c *Client) credentials(ctx context.Context) vipps.Credentials { return c.current(ctx) }

// Environment returns Production, Test, or "" for a custom base URL.
func (c *Client) Environment() vipps.Environment {
	if c == nil {
		return ""
	}
	return c.cfg.Environment
}

// Logger returns the configured logger, or nil.
func (c *Client) Logger() *slog.Logger {
	if c == nil {
		return nil
	}
	return c.logger
}

// TokenURL is the token endpoint for key sets of the given environment
// ("production" or "test"): the client's own base URL when it is custom,
// Vipps' host of that environment otherwise.
func (c *Client) TokenURL(environment string) string {
	if c == nil {
		return ""
	}
	if c.cfg.Environment == "" {
		return c.base
	}
	switch vipps.Environment(environment) {
	case vipps.Test:
		return vipps.TestURL
	case vipps.Production:
		return vipps.ProductionURL
	}
	return c.base
}

// Request is one logical call. Path is already escaped (see Path).
type Request struct {
	Group     Group
	Operation string // the contract's operationId, for logs and errors
	Method    string
	Path      string
	Query     url.Values
	Body      any // JSON-encoded once; nil for none
	// Idempotent marks a POST that carries an Idempotency-Key (generated once per
	// call unless the context carries one): only such a POST is retried.
	Idempotent bool
}

// Answer is what a service may need of a successful answer besides its
// decoded body (a creation's Retry-After estimate, say). The caller's view of
// an answer is a vipps.Response (see WithResponse); this is the core's own.
type Answer struct {
	StatusCode int
	Header     http.Header
	Attempts   int // attempts sent for the call, a token refresh's included
}

// Do sends r and decodes a 2xx JSON body into out (when out is not nil). Every
// failure is an *Error, a *ValidationError or an *UnsupportedError.
func (c *Client) Do(ctx context.Context, r *Request, out any) (res *Answer, err error) {
	if c == nil { // a service not built by portal.New
		return nil, NotBuilt(r.Operation)
	}
	if err := c.ready(ctx); err != nil {
		return nil, err
	}
	ctx, end := c.traceCall(ctx, r)
	startResponse(ctx, r.Operation) // portal.WithResponse: see response.go
	defer func() {
		finishResponse(ctx, r.Operation, res, err)
		end(err)
	}()
	creds, done, err := c.acquire(ctx)
	defer func() { done() }()
	if err != nil {
		return nil, err
	}
	root, tokenRoot, err := c.roots(r, creds)
	if err != nil {
		return nil, err
	}
	var body []byte
	if r.Body != nil {
		if body, err = json.Marshal(r.Body); err != nil {
			return nil, Invalid("request body", "cannot be encoded: %v", err)
		}
	}
	var idemKey string
	if r.Method == http.MethodPost && r.Idempotent {
		if idemKey = IdempotencyKeyFrom(ctx); idemKey == "" {
			idemKey = NewIdempotencyKey()
		} else if err := CheckIdempotencyKey(idemKey); err != nil {
			return nil, err
		}
	}
	prior := 0               // attempts before a token refresh
	reloaded := false        // a live key source is read again once when Vipps refuses its keys
	var refused vipps.Secret // the token the last 401 Problem refused
	refreshes := 0
	for {
		t, err := c.tokens.get(ctx, creds, tokenRoot)
		if err != nil {
			if !reloaded && keysRefused(err) {
				if creds, done, reloaded = c.reacquire(ctx, creds, done); reloaded {
					continue
				}
			}
			return nil, withKey(err, idemKey)
		}
		tok := t.AccessToken
		resp, st, err := c.send(ctx, outgoing{r: r, root: root, body: body, creds: creds, auth: t.bearer, authHdr: t.bearerHdr, idemKey: idemKey})
		st.attempts += prior
		if err != nil {
			if e, ok := err.(*vipps.Error); ok {
				e.Attempts = st.attempts
			}
			return nil, withKey(err, idemKey)
		}
		if resp.StatusCode < 300 {
			res, err := c.finish(r, resp, st, out, creds, tok)
			return res, withKey(err, idemKey)
		}
		// A DELETE whose earlier attempt got no answer and whose retry finds nothing has done its work.
		if r.Method == http.MethodDelete && resp.StatusCode == http.StatusNotFound && st.noAnswer {
			drainClose(resp.Body)
			return st.answer(http.StatusNoContent, resp.Header), nil
		}
		apiErr := c.decodeFailure(r, resp, st, creds, tok)
		// A 401 Problem means our token is no longer good (expired early,
		// revoked): fetch another and try again, as long as the token refused
		// is a new one (a token endpoint that hands out the refused token
		// again would be refused again), within the refresh bound. A gateway
		// 401 (wrong subscription key) would fail the same way again.
		if apiErr.StatusCode == http.StatusUnauthorized && apiErr.Type != "" && tok != refused && refreshes < c.maxRefreshes {
			c.tokens.invalidate(creds, tokenRoot, tok)
			refused = tok
			refreshes++
			prior = st.attempts
			continue
		}
		if !reloaded && keysRefused(apiErr) {
			if creds, done, reloaded = c.reacquire(ctx, creds, done); reloaded {
				prior = st.attempts
				continue
			}
		}
		return nil, withKey(apiErr, idemKey)
	}
}

// ready refuses a nil context and a zero-value service (whose client is nil)
// with an error instead of a panic.
func (c *Client) ready(ctx context.Context) error {
	if c == nil {
		return &vipps.UnsupportedError{Operation: "call", Reason: "the service has no client: use the services of a *portal.Client built by portal.New"}
	}
	return CheckContext(ctx)
}

// withKey records the call's Idempotency-Key in its error: repeating the call
// with portal.WithIdempotencyKey(ctx, key) then replays the server's answer if
// the work was done after all (an answer lost on the last attempt, say).
func withKey(err error, key string) error {
	if e, ok := err.(*vipps.Error); ok && key != "" {
		e.IdempotencyKey = key
	}
	return err
}

func (c *Client) roots(r *Request, creds vipps.Credentials) (root, tokenRoot string, err error) {
	switch r.Group {
	case GroupManagement:
		if !c.cfg.ManagementAvailable {
			return "", "", &vipps.UnsupportedError{Operation: r.Operation, Reason: "the Management API is production-only: Vipps runs none on the test environment (use vipps.Production or a custom base URL)"}
		}
		return c.base, c.base, nil
	case GroupPortal:
		if creds.Specialized() {
			return "", "", &vipps.UnsupportedError{Operation: r.Operation, Reason: "management keys (the specialized token flow) reach only the Management API; portal operations need a portal user's API client"}
		}
		if c.portal == "" {
			return "", "", &vipps.UnsupportedError{Operation: r.Operation, Reason: "no portal URL is configured (Vipps publishes no API for portal operations; use portal.WithPortalURL)"}
		}
		return c.portal, c.portal, nil
	case GroupWebhooks:
		if creds.Specialized() {
			return "", "", &vipps.UnsupportedError{Operation: r.Operation, Reason: "management keys (the specialized token flow) reach only the Management API; the Webhooks API needs a sales unit's or a partner's standard keys"}
		}
		return c.base, c.base, nil
	}
	return "", "", &vipps.UnsupportedError{Operation: r.Operation, Reason: "unknown operation group"}
}

// callState is one call's state. Its request's context carries it (see
// stateOf), so that the retry policy, which retryablehttp calls without the
// request, knows what it may retry.
type callState struct {
	ctx       context.Context // the caller's, carrying the state
	c         *Client
	out       outgoing
	retryable bool
	attempts  int
	noAnswer  bool // an attempt got no HTTP answer
	logger    *slog.Logger
	operation string
	method    string
	path      string
	// first is the context of the call's first attempt (see attemptGuard), on
	// which send builds the request; firstCancel ends it, until the guard
	// takes it over. A retry goes back to ctx (see retryFrom), so
	// retryablehttp's wait between attempts follows the caller.
	first       context.Context
	firstCancel context.CancelFunc
	firstBody   attemptBody // the first attempt's answer's body, allocated with the state
	req         *retryablehttp.Request
	ans         Answer // the call's Answer, allocated with the state
}

// answer is the call's Answer.
func (st *callState) answer(status int, h http.Header) *Answer {
	st.ans = Answer{StatusCode: status, Header: h, Attempts: st.attempts}
	return &st.ans
}

type callStateKey struct{}

// stateOf finds the call's state in a request's context.
func stateOf(ctx context.Context) *callState {
	st, _ := ctx.Value(callStateKey{}).(*callState)
	return st
}

// outgoing is one attempt-independent request as the wire sees it: every call,
// token requests included, is sent by send from one of these.
type outgoing struct {
	r       *Request
	root    string
	body    []byte            // nil for none
	ctype   []string          // Content-Type of body; JSON when nil
	creds   vipps.Credentials // the key set whose headers the request carries
	auth    vipps.Secret      // the Authorization value ("Bearer ..."), "" for none
	authHdr []string          // the same as a header value, when prebuilt
	idemKey string
	token   bool // a standard-flow token request: the keys travel in client_id/client_secret headers
}

// send is the one request path: it builds the retryable request, sets every
// header, sends it through the retry policy and closes the body of every answer
// it does not return. The returned *callState is never nil.
func (c *Client) send(ctx context.Context, o outgoing) (*http.Response, *callState, error) {
	r := o.r
	st := &callState{c: c, out: o,
		retryable: r.Group == GroupToken || r.Method != http.MethodPost && r.Method != http.MethodPatch || o.idemKey != "",
		logger:    c.logger, operation: r.Operation, method: r.Method, path: r.Path,
	}
	st.ctx = context.WithValue(ctx, callStateKey{}, st)
	st.first = st.ctx
	if c.retry.HTTPClient.Timeout == 0 {
		// An http.Client with a Timeout gives each request a context of its
		// own, derived from this one: the guard then makes every attempt's.
		st.first, st.firstCancel = c.guard.attemptContext(st.ctx)
	}
	req, err := c.newRequest(st, o)
	if err != nil {
		st.endFirst()
		return nil, st, &vipps.Error{Operation: r.Operation, Method: r.Method, Path: r.Path, Err: err}
	}
	st.req = req
	resp, err := c.retry.Do(req)
	if err != nil {
		st.endFirst()
		if resp != nil {
			drainClose(resp.Body)
		}
		// A transport error can quote what the server sent (an unparsable Location, say).
		return nil, st, &vipps.Error{Operation: r.Operation, Method: r.Method, Path: r.Path, Attempts: st.attempts, Err: RedactError(err, st.redact())}
	}
	observeResponse(ctx, r.Operation, resp, o.creds.ClientSecret, o.creds.SubscriptionKey, o.auth)
	return resp, st, nil
}

// newRequest builds o's request on the first attempt's context, with an
// empty header map (filled as the request leaves: see setHeaders) sized for
// what setHeaders puts in it.
func (c *Client) newRequest(st *callState, o outgoing) (*retryablehttp.Request, error) {
	u, err := c.requestURL(o.root, o.r)
	if err != nil {
		return nil, err
	}
	hr := (&http.Request{Method: o.r.Method, URL: u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: make(http.Header, len(c.headers)+len(c.ownKeys)+4), Host: u.Host}).WithContext(st.first)
	req, err := retryablehttp.FromRequest(hr)
	if err == nil && o.body != nil {
		err = req.SetBody(o.body)
	}
	return req, err
}

// requestURL is the URL of r under root. A path of plain characters (as Path
// makes them) is joined to the root parsed once by New, without parsing the
// whole URL again; anything else is parsed (and refused if it must be).
func (c *Client) requestURL(root string, r *Request) (*url.URL, error) {
	var base *url.URL
	switch root {
	case c.base:
		base = c.baseURL
	case c.portal:
		base = c.portalURL
	}
	if base == nil || !plainPath(base.Path) || !plainPath(r.Path) {
		raw := root + r.Path
		if len(r.Query) > 0 {
			raw += "?" + r.Query.Encode()
		}
		return url.Parse(raw)
	}
	u := &url.URL{Scheme: base.Scheme, Host: base.Host, Path: base.Path + r.Path}
	if len(r.Query) > 0 {
		u.RawQuery = r.Query.Encode()
	}
	return u, nil
}

// plainPath reports whether p holds only characters a path carries as they
// are (no escapes): its text is then both its decoded and its escaped form.
func plainPath(p string) bool {
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("-._~/:@!$&'()*+,;=", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// endFirst ends the first attempt's context when no attempt took it over.
func (st *callState) endFirst() {
	if st.firstCancel != nil {
		st.firstCancel()
		st.firstCancel = nil
	}
}

// setHeaders fills an attempt's headers, once: the SDK's transport calls it
// as the request leaves (attemptGuard), not before http.Client.Do, so the
// credentials are never in http.Client's copy of the headers for redirects
// (which it makes of every request, and which the SDK never follows), and that
// copy costs nothing. A retry shares the filled map and leaves it alone: the
// transport may still be reading it for the attempt before.
func (st *callState) setHeaders(h http.Header) {
	if _, filled := h["User-Agent"]; filled {
		return
	}
	c, o := st.c, &st.out
	for _, kv := range c.headers {
		h[kv.name] = kv.value
	}
	c.setCredentialHeaders(h, o.creds)
	if o.token {
		h["Client_id"] = []string{o.creds.ClientID}
		h["Client_secret"] = []string{o.creds.ClientSecret.Reveal()}
	}
	switch {
	case o.authHdr != nil:
		h["Authorization"] = o.authHdr
	case o.auth != "":
		h["Authorization"] = []string{o.auth.Reveal()}
	}
	if o.body != nil {
		if o.ctype != nil {
			h["Content-Type"] = o.ctype
		} else {
			h["Content-Type"] = jsonContentType
		}
	}
	if o.idemKey != "" {
		h["Idempotency-Key"] = []string{o.idemKey}
	}
}

func (c *Client) finish(r *Request, resp *http.Response, st *callState, out any, creds vipps.Credentials, tok vipps.Secret) (*Answer, error) {
	defer drainClose(resp.Body)
	if out != nil && resp.StatusCode != http.StatusNoContent {
		if err := decodeAnswer(resp.Body, resp.ContentLength, out); err != nil {
			// A parse error quotes the value it could not parse: a server may have put a secret there.
			return nil, &vipps.Error{StatusCode: resp.StatusCode, Operation: r.Operation, Method: r.Method, Path: r.Path, Attempts: st.attempts,
				Err: RedactError(fmt.Errorf("decoding the answer: %w", err), redactor(creds, tok))}
		}
	}
	return st.answer(resp.StatusCode, resp.Header), nil
}

// decodeAnswer reads a successful answer whole, at most MaxResponseBody, into
// a pooled buffer and decodes it into out: no decoder or buffer per call, and
// an answer with anything after its JSON value is refused as garbled.
func decodeAnswer(body io.Reader, size int64, out any) error {
	bp := answerBufs.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= maxPooledAnswer { // a list page is read into a buffer of its own, not kept
			answerBufs.Put(bp)
		}
	}()
	b := (*bp)[:0]
	if size > int64(cap(b)) && size <= maxPresized {
		b = make([]byte, 0, size+512) // the announced size, and room to see the end
	}
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := body.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		*bp = b
		if len(b) > MaxResponseBody {
			return fmt.Errorf("the answer is larger than %d bytes", MaxResponseBody)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	return json.Unmarshal(b, out)
}

// maxPooledAnswer is the largest answer buffer kept for reuse: single answers
// fit; pages of a listing do not, so a walk's memory stays one page.
const maxPooledAnswer = 16 << 10

// maxPresized bounds the buffer made for an answer's announced Content-Length:
// past it, the buffer grows as the body actually comes (a server's claim costs
// it nothing).
const maxPresized = 1 << 20

var answerBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

func (c *Client) decodeFailure(r *Request, resp *http.Response, st *callState, creds vipps.Credentials, tok vipps.Secret) *vipps.Error {
	defer drainClose(resp.Body)
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	redact := redactor(creds, tok)
	var e *vipps.Error
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		// A redirect's body only repeats its target, path and query included: keep the host alone.
		e = &vipps.Error{StatusCode: resp.StatusCode, RedirectHost: redirectHost(resp, redact)}
	} else {
		e = DecodeError(resp.StatusCode, resp.Header, b, redact)
	}
	e.Operation, e.Method, e.Path, e.Attempts = r.Operation, r.Method, r.Path, st.attempts
	return e
}

// redactor removes the key set's secrets, tok, and the Basic credential of the
// specialized flow from text that came from a server, in every form a server
// may echo them (see Redactor).
func redactor(creds vipps.Credentials, tok vipps.Secret) func(string) string {
	t := tok.Reveal()
	for _, scheme := range []string{"Bearer ", "Basic "} {
		t = strings.TrimPrefix(t, scheme)
	}
	vals := []string{creds.ClientSecret.Reveal(), creds.SubscriptionKey.Reveal(), t}
	if creds.Specialized() && creds.ClientSecret != "" {
		vals = append(vals, basicCredentials(creds))
	}
	return Redactor(vals...)
}

// drainClose reads a little of a discarded body so the connection can be reused, then closes it.
func drainClose(body io.ReadCloser) {
	buf := drainBufs.Get().(*[]byte)
	for n := 0; n < 4<<10; {
		k, err := body.Read(*buf)
		n += k
		if err != nil || k == 0 {
			break
		}
	}
	drainBufs.Put(buf)
	_ = body.Close()
}

var drainBufs = sync.Pool{New: func() any { b := make([]byte, 1<<10); return &b }}

var jsonContentType = []string{"application/json"}

// header is one request header in canonical form. The SDK keeps its fixed
// headers in slices: ranging over a slice is cheaper than over a map on every request.
type header struct {
	name  string
	value []string
}

// credentialHeaders are the headers a key set adds to every request. Management
// keys (the specialized flow) have no subscription key: none is sent.
func credentialHeaders(creds vipps.Credentials) []header {
	h := make([]header, 0, 2)
	if !creds.Specialized() {
		h = append(h, header{"Ocp-Apim-Subscription-Key", []string{creds.SubscriptionKey.Reveal()}})
	}
	if creds.MSN != "" {
		h = append(h, header{"Merchant-Serial-Number", []string{creds.MSN}})
	}
	return h
}

// setCredentialHeaders shares the client's own header values instead of
// building them per request; nothing downstream modifies request headers.
func (c *Client) setCredentialHeaders(h http.Header, creds vipps.Credentials) {
	own := c.ownKeys
	if creds != c.cfg.Credentials {
		own = credentialHeaders(creds)
	}
	for _, kv := range own {
		h[kv.name] = kv.value
	}
}

// Path formats an API path, escaping every argument as one path segment.
// Callers validate segments first; "." and ".." are escaped so they can never
// walk up the path.
func Path(format string, segments ...string) string {
	var b strings.Builder
	b.Grow(len(format) + 16*len(segments))
	for _, seg := range segments {
		before, after, ok := strings.Cut(format, "%s")
		if !ok {
			break
		}
		b.WriteString(before)
		switch seg {
		case ".":
			b.WriteString("%2E")
		case "..":
			b.WriteString("%2E%2E")
		default:
			b.WriteString(url.PathEscape(seg))
		}
		format = after
	}
	b.WriteString(format)
	return b.String()
}

// redact removes the call's secrets (built on demand: only error paths need it).
func (st *callState) redact() func(string) string {
	return redactor(st.out.creds, st.out.auth)
}

// redirectHost is the host a 3xx pointed to: only the host (and port), never
// the path or query, where a server could have put anything.
func redirectHost(resp *http.Response, redact func(string) string) string {
	loc := resp.Header.Get("Location")
	if loc == "" {
		return ""
	}
	u, err := url.Parse(loc)
	if err != nil {
		return ""
	}
	if u.Host == "" && resp.Request != nil && resp.Request.URL != nil {
		u = resp.Request.URL.ResolveReference(u) // a relative Location stays on the same host
	}
	return redact(u.Host)
}
