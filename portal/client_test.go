package portal_test

import (
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
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/internal/core"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/vipps"
)

const (
	clientID     = "portal-client-1f2e"
	clientSecret = "CS-portal-secret-5a6b7c8d"
	subKey       = "SK-portal-subkey-9e8d7c6b"
	accessToken  = "AT-portal-token-eyJ0eXAiOiJKV1Qi"
)

func creds() vipps.Credentials {
	return vipps.Credentials{ClientID: clientID, ClientSecret: vipps.Secret(clientSecret), SubscriptionKey: vipps.Secret(subKey), MSN: "123456"}
}

var fast = vipps.RetryPolicy{MaxAttempts: 3, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}

// testServer answers tokens and hands API requests to api; it records headers.
type testServer struct {
	*httptest.Server
	mu      sync.Mutex
	headers []http.Header
	tokens  atomic.Int32
	api     atomic.Int32
}

func newTestServer(t *testing.T, api http.HandlerFunc) *testServer {
	s := &testServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.headers = append(s.headers, r.Header.Clone())
		s.mu.Unlock()
		if r.URL.Path == "/accesstoken/get" {
			n := s.tokens.Add(1)
			w.Header().Set("Content-Type", "application/json")
			_, _ = fmt.Fprintf(w, `{"token_type":"Bearer","expires_in":"3600","access_token":"%s-%d"}`, accessToken, n)
			return
		}
		s.api.Add(1)
		api(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func hc(t *testing.T) *http.Client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func mgmtGet() *core.Request {
	return &core.Request{Group: core.GroupManagement, Operation: "getMsn", Method: http.MethodGet, Path: "/management/v1/sales-units/123456"}
}

func TestNewRequiresCredentials(t *testing.T) {
	_, err := portal.New()
	var ve *vipps.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "Credentials", ve.Field)
	for field, c := range map[string]vipps.Credentials{
		"Credentials.ClientID":        {ClientSecret: "x", SubscriptionKey: "y"},
		"Credentials.ClientSecret":    {ClientID: "x", SubscriptionKey: "y"},
		"Credentials.SubscriptionKey": {ClientID: "x", ClientSecret: "y"},
		"Credentials.MSN":             {ClientID: "x", ClientSecret: "y", SubscriptionKey: "z", MSN: "12"},
	} {
		_, err := portal.New(portal.WithCredentials(c))
		require.ErrorAs(t, err, &ve, field)
		assert.Equal(t, field, ve.Field)
		assert.ErrorIs(t, err, vipps.ErrInvalidInput)
	}
}

func TestUnsupportedWithoutRequest(t *testing.T) {
	mock := httpmock.NewMockTransport()
	mock.RegisterNoResponder(httpmock.NewStringResponder(200, `{}`))
	c, err := portal.New(portal.WithCredentials(creds()), portal.WithEnvironment(vipps.Test), portal.WithHTTPClient(&http.Client{Transport: mock}))
	require.NoError(t, err)

	_, err = portal.CoreOf(c).Do(t.Context(), mgmtGet(), nil)
	var ue *vipps.UnsupportedError
	require.ErrorAs(t, err, &ue, "Management on Test")
	assert.ErrorIs(t, err, vipps.ErrUnsupported)
	_, err = c.SalesUnits.Get(t.Context(), "123456")
	assert.ErrorIs(t, err, vipps.ErrUnsupported, "through the public service too")

	_, err = portal.CoreOf(c).Do(t.Context(), &core.Request{Group: core.GroupPortal, Operation: "getTestSalesUnit", Method: http.MethodGet, Path: "/portal/v1/test-sales-units/123456"}, nil)
	require.ErrorAs(t, err, &ue, "portal call without a portal URL")
	_, err = c.TestUnits.Get(t.Context(), "123456")
	assert.ErrorIs(t, err, vipps.ErrUnsupported)

	assert.Zero(t, mock.GetTotalCallCount(), "no request, not even for a token")
}

func TestInsecureHTTPRefused(t *testing.T) {
	for _, opt := range []portal.Option{portal.WithBaseURL("http://gateway.example.com"), portal.WithPortalURL("http://portal.example.com")} {
		_, err := portal.New(portal.WithCredentials(creds()), opt)
		var ve *vipps.ValidationError
		require.ErrorAs(t, err, &ve)
		assert.Contains(t, ve.Reason, "WithInsecureHTTP")
		_, err = portal.New(portal.WithCredentials(creds()), opt, portal.WithInsecureHTTP())
		assert.NoError(t, err)
	}
	_, err := portal.New(portal.WithCredentials(creds()), portal.WithBaseURL("http://127.0.0.1:8080"), portal.WithPortalURL("http://localhost:8080"))
	assert.NoError(t, err, "loopback is always allowed, for the simulator")
}

func TestSystemHeadersOver30Refused(t *testing.T) {
	long := strings.Repeat("x", 31)
	for i, field := range []string{"System.Name", "System.Version", "System.PluginName", "System.PluginVersion"} {
		args := []string{"a", "b", "c", "d"}
		args[i] = long
		_, err := portal.New(portal.WithCredentials(creds()), portal.WithSystem(args[0], args[1], args[2], args[3]))
		var ve *vipps.ValidationError
		require.ErrorAs(t, err, &ve)
		assert.Equal(t, field, ve.Field)
	}
}

func TestHeadersThroughPortal(t *testing.T) {
	s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, `{}`) })
	c, err := portal.New(portal.WithCredentials(creds()), portal.WithBaseURL(s.URL), portal.WithHTTPClient(hc(t)),
		portal.WithSystem("acme", "2.0", "acme-woo", "0.9"))
	require.NoError(t, err)
	_, err = portal.CoreOf(c).Do(t.Context(), mgmtGet(), nil)
	require.NoError(t, err)
	require.Len(t, s.headers, 2)
	for _, h := range s.headers {
		assert.Equal(t, "vippsportal-sdk-go/"+vipps.Version, h.Get("User-Agent"))
		assert.Equal(t, "acme", h.Get("Vipps-System-Name"))
		assert.Equal(t, "2.0", h.Get("Vipps-System-Version"))
		assert.Equal(t, "acme-woo", h.Get("Vipps-System-Plugin-Name"))
		assert.Equal(t, "0.9", h.Get("Vipps-System-Plugin-Version"))
		assert.Equal(t, "123456", h.Get("Merchant-Serial-Number"))
		assert.Equal(t, subKey, h.Get("Ocp-Apim-Subscription-Key"))
	}
}

func TestNewFromEnv(t *testing.T) {
	s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, `{}`) })
	t.Setenv(portal.EnvClientID, "env-client")
	t.Setenv(portal.EnvClientSecret, "env-secret-value")
	t.Setenv(portal.EnvSubscriptionKey, "env-sub-key-value")
	t.Setenv(portal.EnvMSN, "654321")
	t.Setenv(portal.EnvEnvironment, "")
	t.Setenv(portal.EnvBaseURL, s.URL)
	t.Setenv(portal.EnvPortalURL, s.URL)

	c, err := portal.NewFromEnv(portal.WithHTTPClient(hc(t)))
	require.NoError(t, err)
	_, err = portal.CoreOf(c).Do(t.Context(), &core.Request{Group: core.GroupPortal, Operation: "listUsers", Method: http.MethodGet, Path: "/portal/v1/users"}, nil)
	require.NoError(t, err)
	require.Len(t, s.headers, 2)
	tok := s.headers[0]
	assert.Equal(t, "env-client", tok.Get("client_id"))
	assert.Equal(t, "env-secret-value", tok.Get("client_secret"))
	for _, h := range s.headers {
		assert.Equal(t, "env-sub-key-value", h.Get("Ocp-Apim-Subscription-Key"))
		assert.Equal(t, "654321", h.Get("Merchant-Serial-Number"))
	}
	assert.Equal(t, "env-client", portal.CoreOf(c).Credentials().ClientID)
	assert.Equal(t, vipps.Environment(""), portal.CoreOf(c).Environment(), "a base URL makes the environment custom")

	// Options after the environment win.
	c, err = portal.NewFromEnv(portal.WithCredentials(creds()), portal.WithHTTPClient(hc(t)))
	require.NoError(t, err)
	assert.Equal(t, clientID, portal.CoreOf(c).Credentials().ClientID)

	t.Setenv(portal.EnvBaseURL, "")
	t.Setenv(portal.EnvPortalURL, "")
	t.Setenv(portal.EnvEnvironment, " Test ")
	c, err = portal.NewFromEnv()
	require.NoError(t, err)
	assert.Equal(t, vipps.Test, portal.CoreOf(c).Environment())
	_, err = portal.CoreOf(c).Do(t.Context(), mgmtGet(), nil)
	assert.ErrorIs(t, err, vipps.ErrUnsupported)

	t.Setenv(portal.EnvEnvironment, "staging")
	_, err = portal.NewFromEnv()
	var ve *vipps.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, portal.EnvEnvironment, ve.Field)

	t.Setenv(portal.EnvEnvironment, "production")
	t.Setenv(portal.EnvClientSecret, "")
	_, err = portal.NewFromEnv()
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, portal.EnvClientSecret, ve.Field)
	assert.Equal(t, "vipps: invalid VIPPS_CLIENT_SECRET: is required", err.Error())
}

// NewFromEnv's errors name the environment variable a bad value came from
// (a URL is quoted, a secret never); the same mistake made with options names
// the Go field, and an option that replaced the variable's value is not blamed
// on the variable.
func TestNewFromEnvNamesTheVariable(t *testing.T) {
	set := func(vars map[string]string) {
		for _, name := range []string{portal.EnvClientID, portal.EnvClientSecret, portal.EnvSubscriptionKey, portal.EnvMSN,
			portal.EnvEnvironment, portal.EnvBaseURL, portal.EnvPortalURL, portal.EnvTokenFlow, portal.EnvTokenScope} {
			t.Setenv(name, vars[name])
		}
	}
	good := map[string]string{portal.EnvClientID: "env-client", portal.EnvClientSecret: "env-secret-value",
		portal.EnvSubscriptionKey: "env-sub-key-value"}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range good {
			m[a] = b
		}
		m[k] = v
		return m
	}
	for _, tc := range []struct {
		name   string
		vars   map[string]string
		field  string
		reason string
	}{
		{"no client id", with(portal.EnvClientID, ""), portal.EnvClientID, "is required"},
		{"no secret", with(portal.EnvClientSecret, ""), portal.EnvClientSecret, "is required"},
		{"no subscription key", with(portal.EnvSubscriptionKey, ""), portal.EnvSubscriptionKey, "is required (management keys have none: they use the specialized flow)"},
		{"bad msn", with(portal.EnvMSN, "12"), portal.EnvMSN, `must be 4-10 digits, got "12"`},
		{"a line break in the secret", with(portal.EnvClientSecret, "sec\nret-value"), portal.EnvClientSecret, "must not contain a control character (such as a line break)"},
		{"scope with the standard flow", with(portal.EnvTokenScope, "donations:read"), portal.EnvTokenScope, "must be empty with the standard flow, which takes no scope (a scope goes with the specialized flow)"},
		{"not a URL", with(portal.EnvBaseURL, "ftp://api.example"), portal.EnvBaseURL, `must be an absolute http(s) URL, got "ftp://api.example"`},
		{"a portal URL with a key in its query", with(portal.EnvPortalURL, "https://portal.example/?subscription-key=env-sub-key-value"), portal.EnvPortalURL,
			`must not carry user info, a query or a fragment, got "https://portal.example/?xxxxx"`},
		{"a password in the URL", with(portal.EnvBaseURL, "https://me:pass-word-1@api.example"), portal.EnvBaseURL,
			`must not carry user info, a query or a fragment, got "https://me:xxxxx@api.example"`},
		{"an unparsable URL with a key in its query", with(portal.EnvBaseURL, "https://api example/?k=env-sub-key-value"), portal.EnvBaseURL,
			`must not contain spaces or control characters, got "https://api example/xxxxx"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set(tc.vars)
			_, err := portal.NewFromEnv()
			var ve *vipps.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tc.field, ve.Field)
			assert.Equal(t, tc.reason, ve.Reason)
			for _, secret := range []string{"env-secret-value", "env-sub-key-value", "pass-word-1"} {
				assert.NotContains(t, err.Error(), secret)
			}
		})
	}

	// The options given to NewFromEnv replace the variables: their mistakes name the Go field.
	set(with(portal.EnvClientSecret, ""))
	_, err := portal.NewFromEnv(portal.WithCredentials(vipps.Credentials{ClientID: "id", SubscriptionKey: "k"}))
	var ve *vipps.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "Credentials.ClientSecret", ve.Field)
	set(with(portal.EnvBaseURL, "https://api.example"))
	_, err = portal.NewFromEnv(portal.WithBaseURL("ftp://other.example"))
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "BaseURL", ve.Field)

	// portal.New names the Go field, as ever.
	_, err = portal.New(portal.WithCredentials(vipps.Credentials{ClientID: "id", SubscriptionKey: "k"}))
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "Credentials.ClientSecret", ve.Field)
}

func TestHTMLBadGatewayBecomesError(t *testing.T) {
	page := "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1>" + strings.Repeat("<p>upstream unavailable</p>", 100) + "</body></html>"
	s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = io.WriteString(w, page)
	})
	c, err := portal.New(portal.WithCredentials(creds()), portal.WithBaseURL(s.URL), portal.WithHTTPClient(hc(t)), portal.WithRetry(fast))
	require.NoError(t, err)
	_, err = portal.CoreOf(c).Do(t.Context(), mgmtGet(), nil)
	var pe *vipps.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, http.StatusBadGateway, pe.StatusCode)
	assert.ErrorIs(t, err, vipps.ErrServer)
	assert.Equal(t, 3, pe.Attempts)
	assert.EqualValues(t, 3, s.api.Load())
	assert.True(t, strings.HasPrefix(pe.Body, "<!DOCTYPE html><html><head><title>502 Bad Gateway"))
	assert.LessOrEqual(t, len(pe.Body), core.MaxSnippet+3)
	assert.Less(t, len(pe.Body), len(page))
	assert.Contains(t, err.Error(), "502 Bad Gateway")
	assert.Contains(t, err.Error(), "/management/v1/sales-units/123456")
}

func TestUnknownEnvironmentIsRefused(t *testing.T) {
	_, err := portal.New(portal.WithCredentials(creds()), portal.WithEnvironment("staging"))
	var ve *vipps.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "WithEnvironment", ve.Field)
	assert.Equal(t, "https://api.vipps.no", vipps.Production.BaseURL())
	assert.Equal(t, "https://apitest.vipps.no", vipps.Test.BaseURL())
}
