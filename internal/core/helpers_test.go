package core_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/internal/core"
	"github.com/vippsportal/sdk/vipps"
)

// Secrets used by every test: long and distinctive, so a leak is found by a plain substring search.
const (
	testClientID     = "client-id-7f3a"
	testClientSecret = "cs-SECRET-9d8e7f6a5b4c"
	testSubKey       = "sk-SUBKEY-0a1b2c3d4e5f"
	testAccessToken  = "at-TOKEN-eyJhbGciOiJSUzI1NiJ9"
	testMSN          = "123456"
	mockBase         = "https://api.vipps.test"
)

func testCreds() vipps.Credentials {
	return vipps.Credentials{ClientID: testClientID, ClientSecret: vipps.Secret(testClientSecret),
		SubscriptionKey: vipps.Secret(testSubKey), MSN: testMSN}
}

// fastRetry keeps backoff waits at a millisecond or two so tests on the wall clock stay quick.
var fastRetry = vipps.RetryPolicy{MaxAttempts: 4, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond, MaxRetryAfter: 30 * time.Second}

// newClient builds a core.Client against base (also the portal URL) with the test key set.
func newClient(t testing.TB, base string, hc *http.Client, mod ...func(*core.Config)) *core.Client {
	t.Helper()
	cfg := core.Config{BaseURL: base, PortalURL: base, ManagementAvailable: true, Credentials: testCreds(),
		HTTPClient: hc, Retry: fastRetry, System: core.SystemInfo{Name: "acme-pos", Version: "1.2.3", PluginName: "acme-plugin", PluginVersion: "4.5.6"}}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := core.New(cfg)
	require.NoError(t, err)
	return c
}

// tokenJSON is a token answer in Vipps' shape (numbers as strings).
func tokenJSON(tok string, expiresIn int) string {
	return fmt.Sprintf(`{"token_type":"Bearer","expires_in":"%d","ext_expires_in":"%d","expires_on":"%d","resource":"00000002-0000-0000-c000-000000000000","access_token":%q}`,
		expiresIn, expiresIn, time.Now().Unix()+int64(expiresIn), tok)
}

// recorded is what a test server saw of one request.
type recorded struct {
	Method, Path string
	Header       http.Header
	Body         string
}

// server is an httptest server with a token endpoint and a per-test API handler,
// recording every request.
type server struct {
	*httptest.Server
	mu       sync.Mutex
	reqs     []recorded
	tokens   atomic.Int32 // token requests
	api      atomic.Int32 // API requests
	tokenFor func(n int32) (status int, body string)
}

func newServer(t testing.TB, api http.HandlerFunc) *server {
	t.Helper()
	s := &server{}
	s.tokenFor = func(n int32) (int, string) { return 200, tokenJSON(fmt.Sprintf("%s-%d", testAccessToken, n), 3600) }
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, recorded{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: string(b)})
		s.mu.Unlock()
		if r.URL.Path == "/accesstoken/get" {
			status, body := s.tokenFor(s.tokens.Add(1))
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = io.WriteString(w, body)
			return
		}
		s.api.Add(1)
		api(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) requests() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.reqs...)
}

func (s *server) apiRequests() []recorded {
	var out []recorded
	for _, r := range s.requests() {
		if r.Path != "/accesstoken/get" {
			out = append(out, r)
		}
	}
	return out
}

// httpClient is a fresh transport per test (closed at cleanup) so no test shares connections.
func httpClient(t testing.TB) *http.Client {
	tr := &http.Transport{MaxIdleConnsPerHost: 16}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// noKeepAlive is a transport that opens a connection per request, so net/http
// never resends on its own and the server's count equals the SDK's attempts.
func noKeepAlive(t testing.TB) *http.Client {
	tr := &http.Transport{DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func writeProblem(w http.ResponseWriter, status int, name, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"type": "https://developer.vippsmobilepay.com/problems/" + name,
		"title": http.StatusText(status), "status": status, "detail": detail})
}

// newMock is an httpmock transport with a token responder at mockBase, counting token calls.
func newMock(t testing.TB) (*httpmock.MockTransport, *atomic.Int32) {
	mock := httpmock.NewMockTransport()
	var n atomic.Int32
	mock.RegisterResponder(http.MethodPost, mockBase+"/accesstoken/get", func(r *http.Request) (*http.Response, error) {
		k := n.Add(1)
		resp := httpmock.NewStringResponse(200, tokenJSON(fmt.Sprintf("%s-%d", testAccessToken, k), 3600))
		resp.Header.Set("Content-Type", "application/json")
		return resp, nil
	})
	return mock, &n
}

// seq answers with the given responses in turn, the last one for ever, and counts calls.
func seq(calls *atomic.Int32, rs ...func(*http.Request) (*http.Response, error)) httpmock.Responder {
	return func(r *http.Request) (*http.Response, error) {
		i := int(calls.Add(1)) - 1
		if i >= len(rs) {
			i = len(rs) - 1
		}
		return rs[i](r)
	}
}

func status(code int, body string, hdr ...string) func(*http.Request) (*http.Response, error) {
	return func(*http.Request) (*http.Response, error) {
		resp := httpmock.NewStringResponse(code, body)
		for i := 0; i+1 < len(hdr); i += 2 {
			resp.Header.Set(hdr[i], hdr[i+1])
		}
		if strings.HasPrefix(body, "{") && resp.Header.Get("Content-Type") == "" {
			resp.Header.Set("Content-Type", "application/json")
		}
		return resp, nil
	}
}

func getReq() *core.Request {
	return &core.Request{Group: core.GroupManagement, Operation: "getThing", Method: http.MethodGet, Path: "/management/v1/things/1"}
}

// apiOnly answers every token request with a token at once and hands every
// other request to api.
func apiOnly(api roundTripFunc) roundTripFunc {
	return func(r *http.Request) (*http.Response, error) {
		if r.URL.Path == "/accesstoken/get" {
			return jsonAnswer(r, 200, tokenJSON(testAccessToken, 3600)), nil
		}
		return api(r)
	}
}
