package portaltest_test

// The conformance harness: every request these tests send goes through a
// RoundTripper that validates it (unless the test marks it as deliberately
// broken) and always validates the simulator's answer against
// portal/openapi.yaml with kin-openapi. Answers that no route matches (an
// unknown path, a method the path has no operation for) are checked by hand.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/internal/contracttest"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/vipps"
)

const (
	problemPrefix   = "https://portal-sdk.invalid/problems/"
	ctProblem       = "application/problem+json"
	ctJSON          = "application/json"
	ctManagementOK  = "application/json;charset=UTF-8"
	maxBody         = 1 << 20
	tokenLifetime   = 3600 * time.Second
	orderExpiryTime = 14 * 24 * time.Hour
)

// contract is the loaded, validated OpenAPI document and a router over it.
type contract struct {
	doc    *openapi3.T
	router routers.Router
	opts   *openapi3filter.Options
}

// loadContract is the module's one contract validator (internal/contracttest:
// the document, a path-only router, and options that check string formats),
// shared with the SDK's own tests.
func loadContract() (*contract, error) {
	ct, err := contracttest.Load()
	if err != nil {
		return nil, err
	}
	return &contract{doc: ct.Doc, router: ct.Router, opts: ct.Options}, nil
}

func mustContract(t testing.TB) *contract {
	t.Helper()
	c, err := loadContract()
	require.NoError(t, err)
	return c
}

type invalidKey struct{}

// markInvalid tells the validating transport that the request breaks the
// contract on purpose: its answer is still validated.
func markInvalid(ctx context.Context) context.Context {
	return context.WithValue(ctx, invalidKey{}, true)
}

// validatingTransport validates requests and responses against the contract,
// and that every answer carries a request id of its own.
type validatingTransport struct {
	t     testing.TB
	c     *contract
	inner http.RoundTripper

	mu         sync.Mutex
	requestIDs map[string]string // X-Request-Id -> the request it answered
}

func newValidatingTransport(t testing.TB, c *contract, inner http.RoundTripper) *validatingTransport {
	return &validatingTransport{t: t, c: c, inner: inner, requestIDs: map[string]string{}}
}

// checkRequestID asserts the answer carries an X-Request-Id that no other
// answer of this server carried.
func (v *validatingTransport) checkRequestID(what string, resp *http.Response) {
	id := resp.Header.Get("X-Request-Id")
	if !assert.NotEmpty(v.t, id, "every answer carries X-Request-Id, errors too: %s (%d)", what, resp.StatusCode) {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if prev, dup := v.requestIDs[id]; dup {
		v.t.Errorf("X-Request-Id %q answered both %s and %s", id, prev, what)
	}
	v.requestIDs[id] = what
}

func (v *validatingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		reqBody = b
		// RoundTrippers must not modify the request: send a clone.
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(b))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
	what := req.Method + " " + req.URL.RequestURI()

	route, pathParams, routeErr := v.c.router.FindRoute(req)
	var input *openapi3filter.RequestValidationInput
	if routeErr == nil {
		vreq := req.Clone(context.Background())
		vreq.Body = io.NopCloser(bytes.NewReader(reqBody))
		input = &openapi3filter.RequestValidationInput{
			Request:    vreq,
			PathParams: pathParams,
			Route:      route,
			Options:    v.c.opts,
		}
		if invalid, _ := req.Context().Value(invalidKey{}).(bool); !invalid {
			if err := openapi3filter.ValidateRequest(context.Background(), input); err != nil {
				v.t.Errorf("harness: the test's own request %s is not valid under the contract (mark it invalid if meant): %v", what, err)
			}
		}
	} else if invalid, _ := req.Context().Value(invalidKey{}).(bool); !invalid {
		v.t.Errorf("harness: %s matches no operation of the contract (%v) but was not marked invalid", what, routeErr)
	}

	resp, err := v.inner.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	respBody, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	v.checkRequestID(what, resp)

	if routeErr != nil {
		// No route: the contract still says the answer is a Problem
		// (404 not-found or 405 method-not-allowed).
		checkRoutelessProblem(v.t, v.c, what, resp, respBody)
		return resp, nil
	}
	rinput := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: input,
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Options:                v.c.opts,
	}
	rinput.SetBodyBytes(respBody)
	if err := openapi3filter.ValidateResponse(context.Background(), rinput); err != nil {
		v.t.Errorf("contract: response to %s (%d %s) does not match the contract: %v\nbody: %s",
			what, resp.StatusCode, resp.Header.Get("Content-Type"), err, snippet(respBody))
	}
	checkContentType(v.t, what, route.Path, resp, respBody)
	return resp, nil
}

// checkContentType asserts the Content-Type rules of the Conventions, which
// kin-openapi's media-type matching is more lenient about.
func checkContentType(t testing.TB, what, path string, resp *http.Response, body []byte) {
	t.Helper()
	ct := resp.Header.Get("Content-Type")
	management := strings.HasPrefix(path, "/management/")
	// The Webhooks API answers as the portal group does: application/json,
	// and Problems only as application/problem+json.
	portal := strings.HasPrefix(path, "/portal/") || strings.HasPrefix(path, "/webhooks/")
	switch {
	case resp.StatusCode == http.StatusOK && management:
		// "Management 200 answers carry exactly Content-Type: application/json;charset=UTF-8"
		if len(body) > 0 {
			assert.Equal(t, ctManagementOK, ct, "Content-Type of %s", what)
		}
	case resp.StatusCode >= 200 && resp.StatusCode < 300 && portal && len(body) > 0:
		// "portal 2xx answers with a body carry application/json"
		assert.Equal(t, ctJSON, ct, "Content-Type of %s", what)
	case resp.StatusCode >= 400 && portal && !isGatewayError(body):
		// Only the Management group may answer a Problem as application/json;charset=UTF-8.
		assert.Equal(t, ctProblem, ct, "Content-Type of the Problem answering %s", what)
	}
	if resp.StatusCode >= 400 && len(body) > 0 && !isGatewayError(body) && !isOAuthError(body) {
		checkProblemBody(t, what, resp.StatusCode, body)
	}
}

func isGatewayError(body []byte) bool {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return false
	}
	_, a := m["statusCode"]
	_, b := m["message"]
	_, c := m["type"]
	return a && b && !c
}

func isOAuthError(body []byte) bool {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return false
	}
	_, a := m["error"]
	_, c := m["type"]
	return a && !c
}

// checkProblemBody asserts what every Problem carries: a type under the
// contract's prefix naming a known problem, status equal to the HTTP status,
// and detail and instance present.
func checkProblemBody(t testing.TB, what string, status int, body []byte) {
	t.Helper()
	var p problem
	if !assert.NoError(t, json.Unmarshal(body, &p), "Problem body of %s: %s", what, snippet(body)) {
		return
	}
	assert.True(t, strings.HasPrefix(p.Type, problemPrefix), "Problem type %q of %s must start with %s", p.Type, what, problemPrefix)
	name := strings.TrimPrefix(p.Type, problemPrefix)
	if want, ok := problemStatus[name]; assert.True(t, ok, "unknown problem name %q answering %s", name, what) {
		assert.Contains(t, want, status, "HTTP status of problem %q answering %s", name, what)
	}
	assert.Equal(t, status, p.Status, "Problem.status of %s", what)
	assert.NotNil(t, p.Detail, "Problem.detail must be present (%s)", what)
	assert.NotNil(t, p.Instance, "Problem.instance must be present (%s)", what)
}

// problemStatus is the contract's table of problem types ("Problem types"):
// the HTTP statuses each may carry.
var problemStatus = map[string][]int{
	"invalid-request": {400}, "invalid-page-token": {400}, "body-too-large": {413},
	"invalid-token": {401}, "token-revoked": {401}, "not-a-portal-user": {403},
	"administrator-required": {403}, "forbidden": {403}, "keys-hidden": {403},
	"not-found": {404}, "method-not-allowed": {405}, "test-sales-unit-immutable": {405},
	"idempotency-key-reused": {409}, "keys-not-ready": {409}, "user-exists": {409},
	"last-administrator": {409}, "order-submitted": {400}, "webhook-limit-reached": {400}, "rate-limited": {429},
	"provisioning-failed": {500}, "internal": {500}, "unavailable": {502, 503, 504},
}

func checkRoutelessProblem(t testing.TB, c *contract, what string, resp *http.Response, body []byte) {
	t.Helper()
	ct := resp.Header.Get("Content-Type")
	if isGatewayError(body) {
		return
	}
	if strings.HasPrefix(what, http.MethodHead+" ") && len(body) == 0 {
		return // a HEAD answer has no body to check
	}
	if strings.HasPrefix(what, "/management/") || strings.Contains(what, " /management/") {
		assert.Contains(t, []string{ctProblem, ctManagementOK}, ct, "Content-Type of %s", what)
	} else {
		assert.Equal(t, ctProblem, ct, "Content-Type of %s", what)
	}
	var v any
	if !assert.NoError(t, json.Unmarshal(body, &v), "body of %s is not JSON: %s", what, snippet(body)) {
		return
	}
	schema := c.doc.Components.Schemas["Problem"].Value
	assert.NoError(t, schema.VisitJSON(v), "body of %s is not a Problem", what)
	checkProblemBody(t, what, resp.StatusCode, body)
}

func snippet(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "..."
	}
	return string(b)
}

// harness is one simulator and a validating HTTP client aimed at it.
type harness struct {
	s         *portaltest.Server
	client    *http.Client
	transport *http.Transport
}

func newHarness(t testing.TB, opts ...portaltest.Option) *harness {
	t.Helper()
	c := mustContract(t)
	s := portaltest.NewServer(opts...)
	tr := &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}
	h := &harness{
		s:         s,
		transport: tr,
		client: &http.Client{
			// A simulator that deadlocks fails the test instead of hanging the run.
			Timeout:   30 * time.Second,
			Transport: newValidatingTransport(t, c, tr),
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
	}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		s.Close()
	})
	return h
}

// caller is a principal ready to call: a token and a live subscription key.
type caller struct {
	Token  string
	SubKey string
	Creds  vipps.Credentials
}

func (c caller) headers() http.Header {
	h := http.Header{}
	if c.Token != "" {
		h.Set("Authorization", "Bearer "+c.Token)
	}
	if c.SubKey != "" {
		h.Set("Ocp-Apim-Subscription-Key", c.SubKey)
	}
	return h
}

// token obtains an access token with creds over POST /accesstoken/get.
func (h *harness) token(t testing.TB, creds vipps.Credentials) string {
	t.Helper()
	r := h.tokenRequest(t, creds.ClientID, creds.ClientSecret.Reveal(), creds.SubscriptionKey.Reveal(), false)
	require.Equal(t, http.StatusOK, r.Status, "token for %q: %s", creds.ClientID, r.Raw)
	var tok accessToken
	require.NoError(t, json.Unmarshal(r.Raw, &tok))
	require.NotEmpty(t, tok.AccessToken)
	return tok.AccessToken
}

// tokenRequest posts to the token endpoint; an empty value omits its header.
func (h *harness) tokenRequest(t testing.TB, clientID, secret, subKey string, invalid bool) *response {
	t.Helper()
	hd := http.Header{}
	if clientID != "" {
		hd.Set("client_id", clientID)
	}
	if secret != "" {
		hd.Set("client_secret", secret)
	}
	if subKey != "" {
		hd.Set("Ocp-Apim-Subscription-Key", subKey)
	}
	return h.send(t, call{Method: http.MethodPost, Path: "/accesstoken/get", Header: hd, Invalid: invalid})
}

func (h *harness) as(t testing.TB, creds vipps.Credentials) caller {
	t.Helper()
	return caller{Token: h.token(t, creds), SubKey: creds.SubscriptionKey.Reveal(), Creds: creds}
}

func (h *harness) admin(t testing.TB) caller {
	return h.as(t, h.s.UserCredentials(portaltest.AdminUserID))
}
func (h *harness) dev(t testing.TB) caller {
	return h.as(t, h.s.UserCredentials(portaltest.DeveloperUserID))
}
func (h *harness) assistant(t testing.TB) caller {
	return h.as(t, h.s.UserCredentials(portaltest.AssistantUserID))
}
func (h *harness) partner(t testing.TB) caller {
	return h.as(t, h.s.PartnerCredentials(portaltest.PartnerID))
}
func (h *harness) unit(t testing.TB, msn string) caller {
	return h.as(t, h.s.UnitCredentials(msn))
}

// management is the default partner's management keys: a token from
// POST /miami/v1/token and no subscription key.
func (h *harness) management(t testing.TB) caller {
	t.Helper()
	m := h.s.ManagementCredentials(portaltest.PartnerID)
	require.NotEmpty(t, m.ClientID, "the default seed's partner has management keys")
	r := h.fetchToken(t, basicAuth(m.ClientID, m.ClientSecret.Reveal()), formContentType, "grant_type=client_credentials", false)
	require.Equal(t, http.StatusOK, r.Status, "management token: %s", r.Raw)
	tok, _ := r.JSON()["access_token"].(string)
	require.NotEmpty(t, tok)
	return caller{Token: tok}
}

const formContentType = "application/x-www-form-urlencoded"

func basicAuth(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

// fetchToken posts to POST /miami/v1/token; an empty authorization omits the
// header, an empty content type leaves the harness's (application/json with a body).
func (h *harness) fetchToken(t testing.TB, authorization, contentType, body string, invalid bool) *response {
	t.Helper()
	hd := http.Header{}
	if authorization != "" {
		hd.Set("Authorization", authorization)
	}
	if contentType != "" {
		hd.Set("Content-Type", contentType)
	}
	c := call{Method: http.MethodPost, Path: pathMiami, Header: hd, Invalid: invalid}
	if body != "" {
		c.Body = body
	}
	return h.send(t, c)
}

// call is one HTTP request of a test.
type call struct {
	Method, Path string
	As           *caller
	Body         any // nil: no body; []byte or string: raw; otherwise JSON-encoded
	Header       http.Header
	IdemKey      string
	Invalid      bool // deliberately breaks the contract: skip request validation
}

type response struct {
	Status int
	Header http.Header
	Raw    []byte
}

// JSON decodes the body as a JSON object (nil when it is not one).
func (r *response) JSON() map[string]any {
	var m map[string]any
	if json.Unmarshal(r.Raw, &m) != nil {
		return nil
	}
	return m
}

func decodeAs[T any](t testing.TB, r *response) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(r.Raw, &v), "decode %T from %s", v, snippet(r.Raw))
	return v
}

func (h *harness) send(t testing.TB, c call) *response {
	t.Helper()
	r, err := h.exchange(c)
	require.NoError(t, err, "%s %s", c.Method, c.Path)
	return r
}

// exchange sends c and reads the answer; unlike send it never calls FailNow,
// so any goroutine may use it.
func (h *harness) exchange(c call) (*response, error) {
	var body io.Reader
	var hasBody bool
	switch b := c.Body.(type) {
	case nil:
	case []byte:
		body, hasBody = bytes.NewReader(b), true
	case string:
		body, hasBody = strings.NewReader(b), true
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			return nil, err
		}
		body, hasBody = bytes.NewReader(raw), true
	}
	ctx := context.Background()
	if c.Invalid {
		ctx = markInvalid(ctx)
	}
	req, err := http.NewRequestWithContext(ctx, c.Method, h.s.URL+c.Path, body)
	if err != nil {
		return nil, err
	}
	if hasBody {
		req.Header.Set("Content-Type", "application/json")
	}

	if c.As != nil {
		for k, vs := range c.As.headers() {
			req.Header[k] = vs
		}
	}
	if c.IdemKey != "" {
		req.Header.Set("Idempotency-Key", c.IdemKey)
	}
	for k, vs := range c.Header {
		req.Header.Del(k)
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &response{Status: resp.StatusCode, Header: resp.Header, Raw: raw}, nil
}

// do is the short form: method, path, body, headers, as a caller.
func (h *harness) do(t testing.TB, as caller, method, path string, body any, headers http.Header) *response {
	t.Helper()
	c := call{Method: method, Path: path, As: &as, Body: body, Header: headers}
	if method == http.MethodPost && (headers == nil || headers.Get("Idempotency-Key") == "") {
		c.IdemKey = newKey()
	}
	return h.send(t, c)
}

func (h *harness) get(t testing.TB, as caller, path string) *response {
	t.Helper()
	return h.do(t, as, http.MethodGet, path, nil, nil)
}

// post sends a POST with the given idempotency key ("" = a fresh one).
func (h *harness) post(t testing.TB, as caller, path, key string, body any) *response {
	t.Helper()
	if key == "" {
		key = newKey()
	}
	return h.send(t, call{Method: http.MethodPost, Path: path, As: &as, Body: body, IdemKey: key})
}

func newKey() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "k-" + hex.EncodeToString(b[:])
}

// assertProblem asserts r is a Problem of the named type with that status.
func assertProblem(t testing.TB, r *response, status int, name string, msgAndArgs ...any) bool {
	t.Helper()
	ok := assert.Equal(t, status, r.Status, append([]any{"status; body: %s"}, snippet(r.Raw))...)
	var p problem
	if !assert.NoError(t, json.Unmarshal(r.Raw, &p), "Problem body: %s", snippet(r.Raw)) {
		return false
	}
	ok = assert.Equal(t, problemPrefix+name, p.Type, msgAndArgs...) && ok
	ok = assert.NotNil(t, p.Detail, "detail") && ok
	ok = assert.NotNil(t, p.Instance, "instance") && ok
	return ok
}

// assertGatewayError asserts the gateway's 401 shape.
func assertGatewayError(t testing.TB, r *response, msgAndArgs ...any) bool {
	t.Helper()
	ok := assert.Equal(t, http.StatusUnauthorized, r.Status, msgAndArgs...)
	ok = assert.Equal(t, ctJSON, mediaType(r.Header.Get("Content-Type")), "GatewayError Content-Type") && ok
	var g gatewayError
	if !assert.NoError(t, json.Unmarshal(r.Raw, &g)) {
		return false
	}
	ok = assert.NotNil(t, g.StatusCode, "GatewayError.statusCode; body %s", r.Raw) && ok
	ok = assert.NotNil(t, g.Message, "GatewayError.message; body %s", r.Raw) && ok
	if g.StatusCode != nil {
		ok = assert.Equal(t, http.StatusUnauthorized, *g.StatusCode) && ok
	}
	_, hasType := r.JSON()["type"]
	ok = assert.False(t, hasType, "a GatewayError is not a Problem: %s", r.Raw) && ok
	return ok
}

// assertOAuthError asserts the token endpoint's 401 for bad client credentials.
func assertOAuthError(t testing.TB, r *response, code string, msgAndArgs ...any) bool {
	t.Helper()
	ok := assert.Equal(t, http.StatusUnauthorized, r.Status, msgAndArgs...)
	var e oauthError
	if !assert.NoError(t, json.Unmarshal(r.Raw, &e)) {
		return false
	}
	return assert.Equal(t, code, e.Error, "OAuthError.error; body %s", r.Raw) && ok
}

func mediaType(ct string) string {
	mt, _, _ := strings.Cut(ct, ";")
	return strings.TrimSpace(mt)
}

// Wire shapes, decoded locally (never through the SDK's types).

type problem struct {
	Type     string  `json:"type"`
	Title    string  `json:"title"`
	Status   int     `json:"status"`
	Detail   *string `json:"detail"`
	Instance *string `json:"instance"`
}

type gatewayError struct {
	StatusCode *int    `json:"statusCode"`
	Message    *string `json:"message"`
}

type oauthError struct {
	Error string `json:"error"`
}

type accessToken struct {
	TokenType    string `json:"token_type"`
	ExpiresIn    string `json:"expires_in"`
	ExtExpiresIn string `json:"ext_expires_in"`
	ExpiresOn    string `json:"expires_on"`
	NotBefore    string `json:"not_before"`
	Resource     string `json:"resource"`
	AccessToken  string `json:"access_token"`
}

type bid struct {
	Scheme string `json:"scheme"`
	ID     string `json:"id"`
}

type unitOptions struct {
	SkipLandingPage *bool `json:"skipLandingPage,omitempty"`
	Recurring       *bool `json:"recurring,omitempty"`
	DirectCapture   *bool `json:"directCapture,omitempty"`
}

type unitRequest struct {
	Name    string       `json:"name"`
	Partner string       `json:"partner,omitempty"`
	Options *unitOptions `json:"options,omitempty"`
}

type creation struct {
	CreationID  string      `json:"creationId"`
	Status      string      `json:"status"`
	Request     unitRequest `json:"request"`
	MSN         *string     `json:"msn"`
	CreatedAt   string      `json:"createdAt"`
	CompletedAt *string     `json:"completedAt"`
	Failure     *problem    `json:"failure"`
}

type configuration struct {
	PaymentAllowed         *bool   `json:"paymentAllowed"`
	CaptureType            *string `json:"captureType"`
	SkipLandingPageAllowed *bool   `json:"skipLandingPageAllowed"`
	RecurringAllowed       *bool   `json:"recurringAllowed"`
}

type testUnit struct {
	MSN                string        `json:"msn"`
	Name               string        `json:"name"`
	BusinessIdentifier bid           `json:"businessIdentifier"`
	Partner            string        `json:"partner"`
	Options            unitOptions   `json:"options"`
	Configuration      configuration `json:"configuration"`
	CreatedAt          string        `json:"createdAt"`
	CompletedAt        string        `json:"completedAt"`
	KeysReady          bool          `json:"keysReady"`
}

type page[T any] struct {
	Items         []T     `json:"items"`
	NextPageToken *string `json:"nextPageToken"`
}

type keySet struct {
	MSN                      string `json:"msn"`
	Environment              string `json:"environment"`
	ClientID                 string `json:"clientId"`
	ClientSecret             string `json:"clientSecret"`
	SubscriptionKeyPrimary   string `json:"subscriptionKeyPrimary"`
	SubscriptionKeySecondary string `json:"subscriptionKeySecondary"`
	UpdatedAt                string `json:"updatedAt"`
}

type access struct {
	MSN         string   `json:"msn"`
	Permissions []string `json:"permissions"`
	GrantedAt   string   `json:"grantedAt"`
}

type user struct {
	UserID      string   `json:"userId"`
	PhoneNumber string   `json:"phoneNumber"`
	Name        string   `json:"name"`
	Role        string   `json:"role"`
	Status      string   `json:"status"`
	SalesUnits  []access `json:"salesUnits"`
	CreatedAt   string   `json:"createdAt"`
}

type msnInfo struct {
	MSN  string `json:"msn"`
	Name string `json:"name"`
}

type orderDetails struct {
	ProductOrderID string   `json:"productOrderId"`
	Status         string   `json:"status"`
	SalesUnit      *msnInfo `json:"salesUnit"`
}

func msns(items []msnInfo) []string {
	out := make([]string, 0, len(items))
	for _, i := range items {
		out = append(out, i.MSN)
	}
	return out
}

func boolp(b bool) *bool { return &b }

// Paths.
const (
	pathMe        = "/portal/v1/me"
	pathTestUnits = "/portal/v1/test-sales-units"
	pathCreations = "/portal/v1/test-sales-units/creations"
	pathUsers     = "/portal/v1/users"
	pathSalesUnit = "/management/v1/sales-units"
	pathOrders    = "/management/v1/product-orders"
	pathOrdersV2  = "/management/v2/product-orders"
	pathPackages  = "/management/v1/partners/price-packages"
	pathMiami     = "/miami/v1/token"
)

func keysPath(msn string) string        { return "/portal/v1/sales-units/" + msn + "/keys" }
func regenPath(msn string) string       { return keysPath(msn) + "/regenerate" }
func testUnitPath(msn string) string    { return pathTestUnits + "/" + msn }
func creationPath(id string) string     { return pathCreations + "/" + id }
func userPath(id string) string         { return pathUsers + "/" + id }
func grantPath(id, msn string) string   { return userPath(id) + "/sales-units/" + msn }
func orderDetailsPath(id string) string { return pathOrdersV2 + "/" + id + "/details" }
func merchantPath(id string) string {
	return "/management/v1/merchants/" + portaltest.DefaultMerchantScheme + "/" + id
}

// createUnit posts a test unit creation and returns the decoded 202 record.
func (h *harness) createUnit(t testing.TB, as caller, req unitRequest) creation {
	t.Helper()
	r := h.post(t, as, pathTestUnits, "", req)
	require.Equal(t, http.StatusAccepted, r.Status, "create test unit: %s", r.Raw)
	return decodeAs[creation](t, r)
}

// newUnit creates a test unit and drives it to COMPLETED with its keys issued
// (works with and without WithManualProvisioning).
func (h *harness) newUnit(t testing.TB, as caller, name string) string {
	t.Helper()
	c := h.createUnit(t, as, unitRequest{Name: name})
	msn := h.complete(t, as, c.CreationID)
	_ = h.s.IssueKeys(msn)
	return msn
}

// keysPendingUnit creates a test unit and completes its creation without
// issuing its keys (needs WithManualProvisioning); it returns the MSN.
func (h *harness) keysPendingUnit(t testing.TB, as caller, name string) string {
	t.Helper()
	c := h.createUnit(t, as, unitRequest{Name: name})
	msn, err := h.s.CompleteCreation(c.CreationID)
	require.NoError(t, err)
	return msn
}

// complete drives one creation to COMPLETED and returns its MSN.
func (h *harness) complete(t testing.TB, as caller, creationID string) string {
	t.Helper()
	r := h.get(t, as, creationPath(creationID))
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	if c := decodeAs[creation](t, r); c.Status == "COMPLETED" {
		require.NotNil(t, c.MSN)
		return *c.MSN
	}
	msn, err := h.s.CompleteCreation(creationID)
	require.NoError(t, err)
	require.NotEmpty(t, msn)
	return msn
}
