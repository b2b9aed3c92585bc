package core_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/internal/core"
	"github.com/vippsportal/sdk/vipps"
)

func managementCreds() vipps.Credentials {
	return vipps.Credentials{ClientID: testClientID, ClientSecret: vipps.Secret(testClientSecret), Flow: vipps.SpecializedAuth}
}

// miamiServer serves the specialized flow's token endpoint (expires_in given by
// expires) and a Management endpoint, recording every request.
func miamiServer(t *testing.T, expires string) (*httptest.Server, func() []recorded, *atomic.Int32) {
	var mu sync.Mutex
	var reqs []recorded
	var tokens atomic.Int32
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		reqs = append(reqs, recorded{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: string(b)})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/miami/v1/token":
			n := tokens.Add(1)
			_, _ = fmt.Fprintf(w, `{"access_token":"%s-m%d","token_type":"Bearer","expires_in":%s}`, testAccessToken, n, expires)
		case "/management/v1/sales-units/123456":
			_, _ = io.WriteString(w, `{"msn":"123456"}`)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(s.Close)
	return s, func() []recorded { mu.Lock(); defer mu.Unlock(); return append([]recorded(nil), reqs...) }, &tokens
}

func TestSpecializedFlowOnTheWire(t *testing.T) {
	for name, expires := range map[string]string{"number": "900", "string": `"900"`} {
		t.Run("expires_in as "+name, func(t *testing.T) {
			srv, reqs, tokens := miamiServer(t, expires)
			now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
			var clock atomic.Pointer[time.Time]
			clock.Store(&now)
			c := newClient(t, srv.URL, httpClient(t), func(cfg *core.Config) {
				cfg.Credentials = managementCreds()
				cfg.Now = func() time.Time { return *clock.Load() }
			})
			get := &core.Request{Group: core.GroupManagement, Operation: "getMsn", Method: http.MethodGet, Path: "/management/v1/sales-units/123456"}
			for range 2 {
				_, err := c.Do(t.Context(), get, nil)
				require.NoError(t, err)
			}
			assert.EqualValues(t, 1, tokens.Load(), "one fetchToken for two calls")

			// Portal calls are refused before any request.
			before := len(reqs())
			_, err := c.Do(t.Context(), &core.Request{Group: core.GroupPortal, Operation: "getMe", Method: http.MethodGet, Path: "/portal/v1/users/me"}, nil)
			require.ErrorIs(t, err, vipps.ErrUnsupported)
			assert.Contains(t, err.Error(), "management keys")
			assert.Contains(t, err.Error(), "portal operations need a portal user's API client")
			assert.NotContains(t, err.Error(), "partner", "a partner's standard keys are refused too (403 not-a-portal-user)")
			assert.Len(t, reqs(), before, "no request for a refused portal call")

			// The token is refreshed once its 15 minutes are over.
			later := now.Add(900 * time.Second)
			clock.Store(&later)
			_, err = c.Do(t.Context(), get, nil)
			require.NoError(t, err)
			assert.EqualValues(t, 2, tokens.Load(), "a new token after 900 s")

			all := reqs()
			require.Len(t, all, 5)
			wantBasic := "Basic " + base64.StdEncoding.EncodeToString([]byte(testClientID+":"+testClientSecret))
			for i, r := range all {
				assert.Empty(t, r.Header.Values("Ocp-Apim-Subscription-Key"), "request %d carries no subscription key", i)
				assert.Empty(t, r.Header.Values("Client_secret"), "request %d: the secret travels only in Basic", i)
				if r.Path == "/miami/v1/token" {
					assert.Equal(t, http.MethodPost, r.Method)
					assert.Equal(t, wantBasic, r.Header.Get("Authorization"))
					assert.Equal(t, "application/x-www-form-urlencoded", r.Header.Get("Content-Type"))
					assert.Equal(t, "grant_type=client_credentials", r.Body)
					continue
				}
				assert.True(t, strings.HasPrefix(r.Header.Get("Authorization"), "Bearer "+testAccessToken+"-m"), r.Header.Get("Authorization"))
			}
			assert.Equal(t, "Bearer "+testAccessToken+"-m2", all[4].Header.Get("Authorization"))
		})
	}
}

func TestSpecializedFlowTokenErrorNamesFetchToken(t *testing.T) {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":"invalid_client","error_description":"bad"}`)
	}))
	t.Cleanup(s.Close)
	c := newClient(t, s.URL, httpClient(t), func(cfg *core.Config) { cfg.Credentials = managementCreds() })
	_, err := c.Token(t.Context(), core.GroupManagement)
	var e *vipps.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "fetchToken", e.Operation)
	assert.Equal(t, "/miami/v1/token", e.Path)
	assert.Contains(t, e.Error(), "(fetchToken)")
	assert.Equal(t, "invalid_client", e.Problem)
}

func TestNewRefusesFlowMistakes(t *testing.T) {
	for field, creds := range map[string]vipps.Credentials{
		"Credentials.SubscriptionKey": {ClientID: "id", ClientSecret: "s", SubscriptionKey: "k", Flow: vipps.SpecializedAuth},
		"Credentials.Flow":            {ClientID: "id", ClientSecret: "s", SubscriptionKey: "k", Flow: "oauth"},
	} {
		_, err := core.New(core.Config{BaseURL: mockBase, Credentials: creds})
		var ve *vipps.ValidationError
		require.ErrorAs(t, err, &ve, field)
		assert.Equal(t, field, ve.Field)
	}
}

func TestErrorsNameTheOperation(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { writeProblem(w, 404, "not-found", "no such thing") })
	c := newClient(t, s.URL, httpClient(t))
	_, err := c.Do(t.Context(), getReq(), nil)
	var e *vipps.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "getThing", e.Operation)
	assert.Equal(t, "vipps: GET /management/v1/things/1 (getThing): 404 not-found: no such thing", e.Error())
}

func TestSystemHeadersNameTheSDKAsPlugin(t *testing.T) {
	for name, tc := range map[string]struct {
		sys                     core.SystemInfo
		wantName, wantVersion   string
		wantPlugin, wantPlugin2 string
	}{
		"none set":            {wantPlugin: "vippsportal-sdk-go", wantPlugin2: vipps.Version},
		"system only":         {sys: core.SystemInfo{Name: "acme", Version: "2"}, wantName: "acme", wantVersion: "2", wantPlugin: "vippsportal-sdk-go", wantPlugin2: vipps.Version},
		"caller's own plugin": {sys: core.SystemInfo{Name: "acme", Version: "2", PluginName: "acme-plugin", PluginVersion: "9"}, wantName: "acme", wantVersion: "2", wantPlugin: "acme-plugin", wantPlugin2: "9"},
	} {
		t.Run(name, func(t *testing.T) {
			s := newServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
			c := newClient(t, s.URL, httpClient(t), func(cfg *core.Config) { cfg.System = tc.sys })
			_, err := c.Do(t.Context(), getReq(), nil)
			require.NoError(t, err)
			reqs := s.requests()
			require.Len(t, reqs, 2, "the token request and the call")
			for _, r := range reqs {
				assert.Equal(t, tc.wantName, r.Header.Get("Vipps-System-Name"))
				assert.Equal(t, tc.wantVersion, r.Header.Get("Vipps-System-Version"))
				assert.Equal(t, tc.wantPlugin, r.Header.Get("Vipps-System-Plugin-Name"))
				assert.Equal(t, tc.wantPlugin2, r.Header.Get("Vipps-System-Plugin-Version"))
			}
		})
	}
}

// The specialized flow form-encodes the client id and secret before HTTP
// Basic (RFC 6749 section 2.3.1): a server decodes them back to what they are,
// '+', "%2B", ':' and spaces included.
func TestSpecializedFlowFormEncodesBasicCredentials(t *testing.T) {
	for _, tc := range []struct{ id, secret, wantPair string }{
		{"partner-1", "plain-secret-value", "partner-1:plain-secret-value"},
		{"partner-1", "s+cr%2Bet/=", "partner-1:s%2Bcr%252Bet%2F%3D"},
		{"partner:7", "a b&c", "partner%3A7:a+b%26c"},
		{"ünï", "sé:cret", "%C3%BCn%C3%AF:s%C3%A9%3Acret"},
	} {
		t.Run(tc.id+" "+tc.secret, func(t *testing.T) {
			var got string
			s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = r.Header.Get("Authorization")
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, `{"access_token":"tok-basic-0001","token_type":"Bearer","expires_in":900}`)
			}))
			t.Cleanup(s.Close)
			c := newClient(t, s.URL, httpClient(t), func(cfg *core.Config) {
				cfg.Credentials = vipps.Credentials{ClientID: tc.id, ClientSecret: vipps.Secret(tc.secret), Flow: vipps.SpecializedAuth}
			})
			_, err := c.Token(t.Context(), core.GroupManagement)
			require.NoError(t, err)
			assert.Equal(t, "Basic "+base64.StdEncoding.EncodeToString([]byte(tc.wantPair)), got)
			raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(got, "Basic "))
			require.NoError(t, err)
			id, secret, _ := strings.Cut(string(raw), ":")
			id, _ = url.QueryUnescape(id)
			secret, _ = url.QueryUnescape(secret)
			assert.Equal(t, tc.id, id, "a server's decoding gives the id back")
			assert.Equal(t, tc.secret, secret, "and the secret")
		})
	}
}

// A Scope travels as the scope field of the specialized flow's form, and a
// token of one scope is cached apart from a token of another.
func TestSpecializedFlowSendsTheScope(t *testing.T) {
	srv, reqs, tokens := miamiServer(t, "900")
	src := &scopeSource{}
	src.scope.Store("donations:read payments:read")
	c := newClient(t, srv.URL, httpClient(t), func(cfg *core.Config) {
		cfg.Credentials = managementCreds()
		cfg.Credentials.Scope = "donations:read payments:read"
		cfg.KeySource = src
	})
	get := &core.Request{Group: core.GroupManagement, Operation: "getMsn", Method: http.MethodGet, Path: "/management/v1/sales-units/123456"}
	for _, scope := range []string{"donations:read payments:read", "donations:read payments:read", "", "donations:read payments:read", ""} {
		src.scope.Store(scope)
		_, err := c.Do(t.Context(), get, nil)
		require.NoError(t, err, "scope %q", scope)
	}
	assert.EqualValues(t, 2, tokens.Load(), "one token per scope")
	var forms []url.Values
	for _, r := range reqs() {
		if r.Path == "/miami/v1/token" {
			assert.Equal(t, "application/x-www-form-urlencoded", r.Header.Get("Content-Type"))
			f, err := url.ParseQuery(r.Body)
			require.NoError(t, err)
			forms = append(forms, f)
		}
	}
	assert.Equal(t, []url.Values{
		{"grant_type": {"client_credentials"}, "scope": {"donations:read payments:read"}},
		{"grant_type": {"client_credentials"}},
	}, forms)
}

// scopeSource is a key source of management keys whose scope a test sets.
type scopeSource struct{ scope atomic.Value }

func (s *scopeSource) Acquire() (vipps.Credentials, func()) {
	c := managementCreds()
	c.Scope = s.scope.Load().(string)
	return c, func() {}
}
func (s *scopeSource) Reload(context.Context)                               {}
func (s *scopeSource) HandedToken(string, vipps.Secret, string) *core.Token { return nil }

// A Scope is refused with the standard flow (it has none) and when it is not
// space-separated scope tokens (RFC 6749 section 3.3), before any request.
func TestScopeIsChecked(t *testing.T) {
	for _, tc := range []struct {
		creds vipps.Credentials
		ok    bool
	}{
		{vipps.Credentials{ClientID: "id", ClientSecret: "s", SubscriptionKey: "k", Scope: "donations:read"}, false},
		{vipps.Credentials{ClientID: "id", ClientSecret: "s", Flow: vipps.SpecializedAuth, Scope: "donations:read"}, true},
		{vipps.Credentials{ClientID: "id", ClientSecret: "s", Flow: vipps.SpecializedAuth, Scope: "a b c!#[]~"}, true},
		{vipps.Credentials{ClientID: "id", ClientSecret: "s", Flow: vipps.SpecializedAuth, Scope: "a  b"}, false},
		{vipps.Credentials{ClientID: "id", ClientSecret: "s", Flow: vipps.SpecializedAuth, Scope: " a"}, false},
		{vipps.Credentials{ClientID: "id", ClientSecret: "s", Flow: vipps.SpecializedAuth, Scope: `a"b`}, false},
		{vipps.Credentials{ClientID: "id", ClientSecret: "s", Flow: vipps.SpecializedAuth, Scope: `a\b`}, false},
		{vipps.Credentials{ClientID: "id", ClientSecret: "s", Flow: vipps.SpecializedAuth, Scope: "dønations"}, false},
		{vipps.Credentials{ClientID: "id", ClientSecret: "s", Flow: vipps.SpecializedAuth, Scope: "a\tb"}, false},
	} {
		_, err := core.New(core.Config{BaseURL: mockBase, Credentials: tc.creds})
		if tc.ok {
			assert.NoError(t, err, "%q", tc.creds.Scope)
			continue
		}
		var ve *vipps.ValidationError
		if assert.ErrorAs(t, err, &ve, "%q", tc.creds.Scope) {
			assert.Equal(t, "Credentials.Scope", ve.Field)
		}
	}
}
