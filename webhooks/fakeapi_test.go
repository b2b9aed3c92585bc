package webhooks_test

// fakeAPI is a Webhooks API on an httptest server that follows the contract
// (portal/openapi.yaml, "Webhooks"): scopes by Merchant-Serial-Number,
// validation, the 25-registration limit, idempotent replays, 404 for another
// scope's id. Every client it hands out sends through a contracttest.Checker,
// so each request and answer is also validated against the contract. The
// simulator (portal/portaltest) gains the same operations separately; these
// tests depend only on the contract.

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/internal/contracttest"
	"github.com/vippsportal/sdk/internal/core"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/vipps"
	"github.com/vippsportal/sdk/webhooks"
)

const (
	fakeToken     = "tok-FAKE-7e1d2c3b4a"
	fakeSubKey    = "sub-FAKE-0a9b8c7d6e"
	fakeSecretPfx = "whsec-FAKE-" // every secret the fake issues starts so: leaks are easy to find
	partnerWide   = ""
)

type fakeHook struct {
	ID     string   `json:"id"`
	URL    string   `json:"url"`
	Events []string `json:"events"`
	secret string
}

type stored struct {
	body   string
	status int
	answer []byte
}

type loggedReq struct {
	Op, Method, Path, MSN string
	Header                http.Header
	Body                  string
}

type fakeAPI struct {
	*httptest.Server
	t *testing.T

	mu      sync.Mutex
	scopes  map[string][]*fakeHook // by MSN; "" is partner-wide
	idem    map[string]stored      // by scope + key
	log     []loggedReq
	secrets []string // every secret issued
	// unitMSN, when set, makes the caller a sales unit's own keys: any
	// other Merchant-Serial-Number is a 403 forbidden.
	unitMSN string
	// dropRegister answers this many register requests by closing the
	// connection after the work (or the replay) is done.
	dropRegister int
	// failDelete answers the delete of these ids with this status.
	failDelete map[string]int
	// before, when set, runs first on every webhook request (to record order).
	before func(op string)
}

func newFakeAPI(t *testing.T) *fakeAPI {
	t.Helper()
	f := &fakeAPI{t: t, scopes: map[string][]*fakeHook{}, idem: map[string]stored{}, failDelete: map[string]int{}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

// client is an SDK client of the fake acting with msn ("" for a partner
// acting partner-wide), sending through a contract checker.
func (f *fakeAPI) client(t *testing.T, msn string, opts ...portal.Option) *portal.Client {
	t.Helper()
	c, _ := f.checkedClient(t, msn, opts...)
	return c
}

// checkedClient is client and its contract checker.
func (f *fakeAPI) checkedClient(t *testing.T, msn string, opts ...portal.Option) (*portal.Client, *contracttest.Checker) {
	t.Helper()
	check := contracttest.New(t)
	c, err := portal.New(append([]portal.Option{
		portal.WithCredentials(vipps.Credentials{ClientID: "client-1", ClientSecret: "cs-FAKE-1f2e3d", SubscriptionKey: fakeSubKey, MSN: msn}),
		portal.WithBaseURL(f.URL), portal.WithHTTPClient(check.HTTPClient()),
		portal.WithSystem("webhooks-test", "1.0.0", "", ""),
		portal.WithRetry(vipps.RetryPolicy{MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}),
	}, opts...)...)
	require.NoError(t, err)
	return c, check
}

// seed adds a registration directly (as made by someone else, or earlier).
func (f *fakeAPI) seed(msn, u string, events ...webhooks.EventName) *fakeHook {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := &fakeHook{ID: newUUID(), URL: u, Events: names(events), secret: f.newSecret()}
	f.scopes[msn] = append(f.scopes[msn], h)
	return h
}

// hooks returns a copy of the scope's registrations.
func (f *fakeAPI) hooks(msn string) []fakeHook {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeHook
	for _, h := range f.scopes[msn] {
		out = append(out, *h)
	}
	return out
}

func (f *fakeAPI) hook(msn, id string) (fakeHook, bool) {
	for _, h := range f.hooks(msn) {
		if h.ID == id {
			return h, true
		}
	}
	return fakeHook{}, false
}

func (f *fakeAPI) requests(op string) []loggedReq {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []loggedReq
	for _, r := range f.log {
		if op == "" || r.Op == op {
			out = append(out, r)
		}
	}
	return out
}

func (f *fakeAPI) issuedSecrets() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.secrets)
}

func (f *fakeAPI) set(fn func(f *fakeAPI)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeAPI) newSecret() string {
	var b [48]byte
	_, _ = rand.Read(b[:])
	s := fakeSecretPfx + base64.StdEncoding.EncodeToString(b[:])
	f.secrets = append(f.secrets, s)
	return s
}

// newUUID is a random UUID (version 4), as Vipps gives registration ids.
func newUUID() string { return core.NewIdempotencyKey() }

func names(events []webhooks.EventName) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = string(e)
	}
	return out
}

var (
	msnPattern  = regexp.MustCompile(`^\d{4,10}$`)
	keyPattern  = regexp.MustCompile(`^[a-zA-Z0-9-]{1,50}$`)
	uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

func problem(w http.ResponseWriter, r *http.Request, status int, name, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"type": "https://portal-sdk.invalid/problems/" + name,
		"title": name, "status": status, "detail": detail, "instance": r.URL.Path})
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if r.URL.Path == "/accesstoken/get" {
		f.mu.Lock()
		f.log = append(f.log, loggedReq{Op: "fetchAuthorizationTokenUsingPost", Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone()})
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"token_type":"Bearer","expires_in":"3600","ext_expires_in":"0","expires_on":"0","not_before":"0","resource":"x","access_token":%q}`, fakeToken)
		return
	}
	op := ""
	switch {
	case r.URL.Path == "/webhooks/v1/webhooks" && r.Method == http.MethodGet:
		op = "getAllWebhooks"
	case r.URL.Path == "/webhooks/v1/webhooks" && r.Method == http.MethodPost:
		op = "registerWebhook"
	case strings.HasPrefix(r.URL.Path, "/webhooks/v1/webhooks/") && r.Method == http.MethodDelete:
		op = "deleteWebhook"
	case r.URL.Path == "/webhooks/v1/webhooks" || strings.HasPrefix(r.URL.Path, "/webhooks/v1/webhooks/"):
		problem(w, r, http.StatusMethodNotAllowed, "method-not-allowed", "no such method here")
		return
	default:
		problem(w, r, http.StatusNotFound, "not-found", "no such path")
		return
	}
	msn := r.Header.Get("Merchant-Serial-Number")
	f.mu.Lock()
	f.log = append(f.log, loggedReq{Op: op, Method: r.Method, Path: r.URL.EscapedPath(), MSN: msn, Header: r.Header.Clone(), Body: string(body)})
	before := f.before
	f.mu.Unlock()
	if before != nil {
		before(op)
	}
	if r.Header.Get("Ocp-Apim-Subscription-Key") != fakeSubKey {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"statusCode":401,"message":"Access denied due to invalid subscription key."}`)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+fakeToken {
		problem(w, r, http.StatusUnauthorized, "invalid-token", "the token is unknown or expired")
		return
	}
	if msn != "" && !msnPattern.MatchString(msn) {
		problem(w, r, http.StatusBadRequest, "invalid-request", "Merchant-Serial-Number must be 4-10 digits")
		return
	}
	switch op {
	case "getAllWebhooks":
		f.list(w, r, msn)
	case "registerWebhook":
		f.register(w, r, msn, body)
	case "deleteWebhook":
		f.delete(w, r, msn, strings.TrimPrefix(r.URL.Path, "/webhooks/v1/webhooks/"))
	}
}

// scopeOf applies the principals table: unit keys reach their own unit only.
func (f *fakeAPI) scopeOf(w http.ResponseWriter, r *http.Request, msn string) (string, bool) {
	f.mu.Lock()
	unit := f.unitMSN
	f.mu.Unlock()
	if unit == "" {
		return msn, true
	}
	if msn != "" && msn != unit {
		problem(w, r, http.StatusForbidden, "forbidden", "a sales unit's keys reach only that unit")
		return "", false
	}
	return unit, true
}

func (f *fakeAPI) list(w http.ResponseWriter, r *http.Request, msn string) {
	scope, ok := f.scopeOf(w, r, msn)
	if !ok {
		return
	}
	f.mu.Lock()
	list := []fakeHook{}
	for _, h := range f.scopes[scope] {
		list = append(list, fakeHook{ID: h.ID, URL: h.URL, Events: h.Events})
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"webhooks": list})
}

func (f *fakeAPI) register(w http.ResponseWriter, r *http.Request, msn string, body []byte) {
	key := r.Header.Get("Idempotency-Key")
	if key != "" && !keyPattern.MatchString(key) {
		problem(w, r, http.StatusBadRequest, "invalid-request", "Idempotency-Key is malformed")
		return
	}
	var req struct {
		URL    *string  `json:"url"`
		Events []string `json:"events"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.URL == nil {
		problem(w, r, http.StatusBadRequest, "invalid-request", "the body is not a WebhookRegistration")
		return
	}
	if detail := checkFakeRegistration(*req.URL, req.Events); detail != "" {
		problem(w, r, http.StatusBadRequest, "invalid-request", detail)
		return
	}
	scope, ok := f.scopeOf(w, r, msn)
	if !ok {
		return
	}
	f.mu.Lock()
	if prev, ok := f.idem[scope+"|"+key]; key != "" && ok {
		f.mu.Unlock()
		var a, b any
		_ = json.Unmarshal([]byte(prev.body), &a)
		_ = json.Unmarshal(body, &b)
		if fmt.Sprint(a) != fmt.Sprint(b) {
			problem(w, r, http.StatusConflict, "idempotency-key-reused", "the key was used with another body")
			return
		}
		if f.takeDrop() {
			hijackClose(w)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Idempotent-Replayed", "true")
		w.WriteHeader(prev.status)
		_, _ = w.Write(prev.answer)
		return
	}
	for _, e := range req.Events {
		n := 0
		for _, h := range f.scopes[scope] {
			if slices.Contains(h.Events, e) {
				n++
			}
		}
		if n >= 25 {
			f.mu.Unlock()
			problem(w, r, http.StatusBadRequest, "webhook-limit-reached", "25 registrations of this scope already hold "+e)
			return
		}
	}
	h := &fakeHook{ID: newUUID(), URL: *req.URL, Events: req.Events, secret: f.newSecret()}
	f.scopes[scope] = append(f.scopes[scope], h)
	answer, _ := json.Marshal(map[string]string{"id": h.ID, "secret": h.secret})
	if key != "" {
		f.idem[scope+"|"+key] = stored{body: string(body), status: http.StatusCreated, answer: answer}
	}
	f.mu.Unlock()
	if f.takeDrop() {
		hijackClose(w)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(answer)
}

// takeDrop reports whether this answer is to be dropped.
func (f *fakeAPI) takeDrop() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dropRegister > 0 {
		f.dropRegister--
		return true
	}
	return false
}

func hijackClose(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

var catalog = names(webhooks.Catalog())

// checkFakeRegistration applies the contract's rules to a registration, as Vipps does.
func checkFakeRegistration(raw string, events []string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Scheme != "https" || u.Host == "":
		return "url must be an absolute https URL"
	case u.User != nil || strings.Contains(raw, "#"):
		return "url must carry no user info or fragment"
	case u.Port() != "" && u.Port() != "443" && u.Port() != "8080":
		return "url must be on the default port, 443 or 8080"
	case len([]rune(raw)) > 2048:
		return "url is longer than 2048 characters"
	case len(events) < 1 || len(events) > 50:
		return "events must hold 1-50 names"
	}
	for i, e := range events {
		if !slices.Contains(catalog, e) {
			return "unknown event " + e
		}
		if slices.Contains(events[:i], e) {
			return "event " + e + " is repeated"
		}
	}
	return ""
}

func (f *fakeAPI) delete(w http.ResponseWriter, r *http.Request, msn, id string) {
	if !uuidPattern.MatchString(id) {
		problem(w, r, http.StatusBadRequest, "invalid-request", "id must be a UUID")
		return
	}
	scope, ok := f.scopeOf(w, r, msn)
	if !ok {
		return
	}
	f.mu.Lock()
	if status := f.failDelete[id]; status != 0 {
		f.mu.Unlock()
		problem(w, r, status, "internal", "the delete failed")
		return
	}
	hooks := f.scopes[scope]
	i := slices.IndexFunc(hooks, func(h *fakeHook) bool { return h.ID == id })
	if i < 0 {
		f.mu.Unlock()
		problem(w, r, http.StatusNotFound, "not-found", "no such webhook in this scope")
		return
	}
	f.scopes[scope] = slices.Delete(hooks, i, i+1)
	f.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// jsonEqual reports whether two JSON texts are the same value.
func jsonEqual(t *testing.T, want, got string) bool {
	t.Helper()
	var a, b any
	require.NoError(t, json.Unmarshal([]byte(want), &a))
	require.NoError(t, json.Unmarshal([]byte(got), &b))
	wa, _ := json.Marshal(a)
	gb, _ := json.Marshal(b)
	return bytes.Equal(wa, gb)
}
