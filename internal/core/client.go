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
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/vippsportal/sdk/internal/secret"
	"github.com/vippsportal/sdk/portal/vipps"
)

// Version is the SDK's version, sent in User-Agent.
const Version = "0.1.0"

// PluginName is the SDK's name: in User-Agent, and in Vipps-System-Plugin-Name
// when the caller names no plugin of its own.
const PluginName = "vippsportal-sdk-go"

// UserAgent is the User-Agent header every request carries.
const UserAgent = PluginName + "/" + Version

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
)

// Credentials, AuthFlow and Environment are defined once, in vipps.
type (
	Credentials = vipps.Credentials
	AuthFlow    = vipps.AuthFlow
	Environment = vipps.Environment
)

// The token flows and environments.
const (
	StandardAuth    = vipps.StandardAuth
	SpecializedAuth = vipps.SpecializedAuth
	Production      = vipps.Production
	Test            = vipps.Test
)

// SystemInfo fills the Vipps-System-* headers.
type SystemInfo struct {
	Name, Version, PluginName, PluginVersion string
}

// DefaultRetryPolicy returns the policy used for every zero field of a RetryPolicy.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 4, MinBackoff: 200 * time.Millisecond, MaxBackoff: 5 * time.Second, MaxRetryAfter: 30 * time.Second}
}

// Config is everything a Client needs; portal.New builds it from options.
type Config struct {
	BaseURL             string      // serves /accesstoken/get and /management
	PortalURL           string      // host root for /portal/v1; "" when not configured
	ManagementAvailable bool        // false on the test environment, where Vipps runs no Management API
	Environment         Environment // Production, Test, or "" for a custom base URL
	AllowInsecureHTTP   bool        // permit http:// to a non-loopback host
	Credentials         Credentials
	System              SystemInfo
	HTTPClient          *http.Client
	Logger              *slog.Logger
	Retry               RetryPolicy
	Now                 func() time.Time // the token cache's clock; time.Now when nil
}

// Client sends requests for every service. It is safe for concurrent use.
type Client struct {
	cfg       Config
	base      string
	portal    string
	headers   http.Header // the constant headers of every request
	ownKeys   http.Header // subscription key and MSN headers of the client's own key set, built once
	retry     *retryablehttp.Client
	tokens    *tokenCache
	logger    *slog.Logger
	now       func() time.Time
	maxRetryA time.Duration
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
		if strings.ContainsAny(h.value, "\r\n") {
			return nil, Invalid(h.field, "must not contain a line break")
		}
	}
	if err := CheckFlow(cfg.Credentials); err != nil {
		return nil, err
	}
	if cfg.Credentials.MSN != "" {
		if err := CheckMSN("Credentials.MSN", cfg.Credentials.MSN); err != nil {
			return nil, err
		}
	}
	cfg.Retry = retryWithDefaults(cfg.Retry)
	if cfg.Retry.MaxAttempts < 1 {
		return nil, Invalid("RetryPolicy.MaxAttempts", "must be at least 1")
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = DefaultHTTPClient()
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	c := &Client{cfg: cfg, base: base, portal: portalURL, logger: cfg.Logger, now: now, maxRetryA: cfg.Retry.MaxRetryAfter}
	c.headers = http.Header{"User-Agent": {UserAgent}, "Accept": {"application/json"}}
	sys := cfg.System
	if sys.PluginName == "" && sys.PluginVersion == "" {
		// Vipps asks every integration to name itself; the SDK is the plugin
		// between the caller's system and Vipps unless the caller names another.
		sys.PluginName, sys.PluginVersion = PluginName, Version
	}
	for name, v := range map[string]string{
		"Vipps-System-Name": sys.Name, "Vipps-System-Version": sys.Version,
		"Vipps-System-Plugin-Name": sys.PluginName, "Vipps-System-Plugin-Version": sys.PluginVersion,
	} {
		if v != "" {
			c.headers[name] = []string{v}
		}
	}
	c.ownKeys = credentialHeaders(cfg.Credentials)
	c.retry = &retryablehttp.Client{
		HTTPClient:     hc,
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

func retryWithDefaults(p RetryPolicy) RetryPolicy {
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
	return d
}

// DefaultHTTPClient is a pooled client whose idle-connection limit per host suits
// many concurrent workers (net/http's default keeps only 2).
func DefaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 128
	return &http.Client{Transport: t}
}

// CheckURL validates a base or portal URL and returns it without a trailing slash.
// Plain http is allowed to loopback hosts, or anywhere with allowInsecure.
func CheckURL(field, raw string, allowInsecure bool) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", Invalid(field, "must be an absolute http(s) URL")
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
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
func (c *Client) Credentials() Credentials { return c.cfg.Credentials }

// credentials is the key set a call made with ctx uses: every request, token
// requests included, takes its keys from here (the seam for live key sources).
func (c *Client) credentials(ctx context.Context) Credentials { return c.cfg.Credentials }

// Environment returns Production, Test, or "" for a custom base URL.
func (c *Client) Environment() Environment { return c.cfg.Environment }

// Logger returns the configured logger, or nil.
func (c *Client) Logger() *slog.Logger { return c.logger }

// TokenURL is the token endpoint for key sets of the given environment
// ("production" or "test"): the client's own base URL when it is custom,
// Vipps' host of that environment otherwise.
func (c *Client) TokenURL(environment string) string {
	if c.cfg.Environment == "" {
		return c.base
	}
	switch Environment(environment) {
	case Test:
		return TestURL
	case Production:
		return ProductionURL
	}
	return c.base
}

// Vipps' two hosts.
const (
	ProductionURL = vipps.ProductionURL
	TestURL       = vipps.TestURL
)

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

// Response describes a successful answer.
type Response struct {
	StatusCode int
	Header     http.Header
	Attempts   int
}

// Do sends r and decodes a 2xx JSON body into out (when out is not nil). Every
// failure is an *Error, a *ValidationError or an *UnsupportedError.
func (c *Client) Do(ctx context.Context, r *Request, out any) (*Response, error) {
	if ctx == nil {
		return nil, Invalid("ctx", "must not be nil (use context.Background())")
	}
	creds := c.credentials(ctx)
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
	prior := 0 // attempts before a token refresh
	for refreshed := false; ; refreshed = true {
		t, err := c.tokens.get(ctx, creds, tokenRoot)
		if err != nil {
			return nil, withKey(err, idemKey)
		}
		tok := t.AccessToken
		resp, st, err := c.send(ctx, &outgoing{r: r, root: root, body: body, creds: creds, auth: t.bearer, idemKey: idemKey})
		st.attempts += prior
		if err != nil {
			if e, ok := err.(*Error); ok {
				e.Attempts = st.attempts
			}
			return nil, withKey(err, idemKey)
		}
		if resp.StatusCode < 300 {
			res, err := c.finish(r, resp, st, out)
			return res, withKey(err, idemKey)
		}
		// A DELETE whose earlier attempt got no answer and whose retry finds nothing has done its work.
		if r.Method == http.MethodDelete && resp.StatusCode == http.StatusNotFound && st.noAnswer {
			drainClose(resp.Body)
			return &Response{StatusCode: http.StatusNoContent, Header: resp.Header, Attempts: st.attempts}, nil
		}
		apiErr := c.decodeFailure(r, resp, st, creds, tok)
		// A 401 Problem means our token is no longer good: fetch another once.
		// A gateway 401 (wrong subscription key) would fail the same way again.
		if apiErr.StatusCode == http.StatusUnauthorized && apiErr.Type != "" && !refreshed {
			c.tokens.invalidate(creds, tokenRoot, tok)
			prior = st.attempts
			continue
		}
		return nil, withKey(apiErr, idemKey)
	}
}

// withKey records the call's Idempotency-Key in its error: repeating the call
// with portal.WithIdempotencyKey(ctx, key) then replays the server's answer if
// the work was done after all (an answer lost on the last attempt, say).
func withKey(err error, key string) error {
	if e, ok := err.(*Error); ok && key != "" {
		e.IdempotencyKey = key
	}
	return err
}

func (c *Client) roots(r *Request, creds Credentials) (root, tokenRoot string, err error) {
	switch r.Group {
	case GroupManagement:
		if !c.cfg.ManagementAvailable {
			return "", "", &UnsupportedError{Operation: r.Operation, Reason: "the Management API is production-only: Vipps runs none on the test environment (use portal.Production or a custom base URL)"}
		}
		return c.base, c.base, nil
	case GroupPortal:
		if creds.Specialized() {
			return "", "", &UnsupportedError{Operation: r.Operation, Reason: "management keys (the specialized token flow) reach only the Management API; portal operations need a portal user's or a partner's standard keys"}
		}
		if c.portal == "" {
			return "", "", &UnsupportedError{Operation: r.Operation, Reason: "no portal URL is configured (Vipps publishes no API for portal operations; use portal.WithPortalURL)"}
		}
		return c.portal, c.portal, nil
	}
	return "", "", &UnsupportedError{Operation: r.Operation, Reason: "unknown operation group"}
}

// callState travels in the request's context so that the retry policy, which
// retryablehttp calls without the request, knows what it may retry.
type callState struct {
	retryable bool
	attempts  int
	noAnswer  bool // an attempt got no HTTP answer
	logger    *slog.Logger
	operation string
	method    string
	path      string
}

type callStateKey struct{}

// outgoing is one attempt-independent request as the wire sees it: every call,
// token requests included, is sent by send from one of these.
type outgoing struct {
	r       *Request
	root    string
	body    []byte        // nil for none
	ctype   []string      // Content-Type of body; JSON when nil
	creds   Credentials   // the key set whose headers the request carries
	auth    secret.Secret // the Authorization value ("Bearer ..."), "" for none
	idemKey string
	token   bool // a standard-flow token request: the keys travel in client_id/client_secret headers
}

// send is the one request path: it builds the retryable request, sets every
// header, sends it through the retry policy and closes the body of every answer
// it does not return. The returned *callState is never nil.
func (c *Client) send(ctx context.Context, o *outgoing) (*http.Response, *callState, error) {
	r := o.r
	st := &callState{
		retryable: r.Group == GroupToken || r.Method != http.MethodPost && r.Method != http.MethodPatch || o.idemKey != "",
		logger:    c.logger, operation: r.Operation, method: r.Method, path: r.Path,
	}
	u := o.root + r.Path
	if len(r.Query) > 0 {
		u += "?" + r.Query.Encode()
	}
	var raw any
	if o.body != nil {
		raw = o.body
	}
	req, err := retryablehttp.NewRequestWithContext(context.WithValue(ctx, callStateKey{}, st), r.Method, u, raw)
	if err != nil {
		return nil, st, &Error{Operation: r.Operation, Method: r.Method, Path: r.Path, Err: err}
	}
	h := req.Header
	for k, v := range c.headers {
		h[k] = v
	}
	c.setCredentialHeaders(h, o.creds)
	if o.token {
		h["Client_id"] = []string{o.creds.ClientID}
		h["Client_secret"] = []string{o.creds.ClientSecret.Reveal()}
	}
	if o.auth != "" {
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
	resp, err := c.retry.Do(req)
	if err != nil {
		if resp != nil {
			drainClose(resp.Body)
		}
		return nil, st, &Error{Operation: r.Operation, Method: r.Method, Path: r.Path, Attempts: st.attempts, Err: err}
	}
	return resp, st, nil
}

func (c *Client) finish(r *Request, resp *http.Response, st *callState, out any) (*Response, error) {
	defer drainClose(resp.Body)
	if out != nil && resp.StatusCode != http.StatusNoContent {
		if err := json.NewDecoder(io.LimitReader(resp.Body, MaxResponseBody)).Decode(out); err != nil {
			return nil, &Error{StatusCode: resp.StatusCode, Operation: r.Operation, Method: r.Method, Path: r.Path, Attempts: st.attempts,
				Err: fmt.Errorf("decoding the answer: %w", err)}
		}
	}
	return &Response{StatusCode: resp.StatusCode, Header: resp.Header, Attempts: st.attempts}, nil
}

func (c *Client) decodeFailure(r *Request, resp *http.Response, st *callState, creds Credentials, tok secret.Secret) *Error {
	defer drainClose(resp.Body)
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e := DecodeError(resp.StatusCode, resp.Header, b, redactor(creds, tok))
	e.Operation, e.Method, e.Path, e.Attempts = r.Operation, r.Method, r.Path, st.attempts
	return e
}

// redactor removes the given secrets from text that came from a server.
func redactor(creds Credentials, tok secret.Secret) func(string) string {
	return func(s string) string {
		for _, v := range []secret.Secret{creds.ClientSecret, creds.SubscriptionKey, tok} {
			if len(v) >= 4 {
				s = strings.ReplaceAll(s, v.Reveal(), secret.Redacted)
			}
		}
		return s
	}
}

// drainClose reads a little of a discarded body so the connection can be reused, then closes it.
func drainClose(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 4<<10))
	_ = body.Close()
}

var jsonContentType = []string{"application/json"}

// credentialHeaders are the headers a key set adds to every request. Management
// keys (the specialized flow) have no subscription key: none is sent.
func credentialHeaders(creds Credentials) http.Header {
	h := http.Header{}
	if !creds.Specialized() {
		h["Ocp-Apim-Subscription-Key"] = []string{creds.SubscriptionKey.Reveal()}
	}
	if creds.MSN != "" {
		h["Merchant-Serial-Number"] = []string{creds.MSN}
	}
	return h
}

// setCredentialHeaders shares the client's own header values instead of
// building them per request; nothing downstream modifies request headers.
func (c *Client) setCredentialHeaders(h http.Header, creds Credentials) {
	own := c.ownKeys
	if creds != c.cfg.Credentials {
		own = credentialHeaders(creds)
	}
	for k, v := range own {
		h[k] = v
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
