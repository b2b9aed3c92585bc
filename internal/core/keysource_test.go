package core_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/internal/core"
	"github.com/vippsportal/sdk/vipps"
)

// fakeSource is a key source whose Reload switches to next (when set).
type fakeSource struct {
	mu       sync.Mutex
	creds    vipps.Credentials
	next     *vipps.Credentials
	reloads  int
	inFlight int
	handed   *core.Token
}

func (f *fakeSource) Acquire() (vipps.Credentials, func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inFlight++
	return f.creds, func() { f.mu.Lock(); f.inFlight--; f.mu.Unlock() }
}

func (f *fakeSource) Reload(context.Context) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reloads++
	if f.next != nil {
		f.creds, f.next = *f.next, nil
	}
}

func (f *fakeSource) HandedToken(id string, cs vipps.Secret, url string) *core.Token {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.handed != nil && id == f.creds.ClientID && cs == f.creds.ClientSecret {
		return f.handed
	}
	return nil
}

func (f *fakeSource) state() (reloads, inFlight int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reloads, f.inFlight
}

const newSubKey = "sk-NEWKEY-5f4e3d2c1b0a"

func gateway401(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = io.WriteString(w, `{"statusCode":401,"message":"Access denied due to invalid subscription key."}`)
}

func TestKeySourceReloadsOnceWhenTheGatewayRefusesTheKey(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Ocp-Apim-Subscription-Key") != newSubKey {
			gateway401(w)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	next := testCreds()
	next.SubscriptionKey = newSubKey
	src := &fakeSource{creds: testCreds(), next: &next}
	c := newClient(t, s.URL, httpClient(t), func(cfg *core.Config) { cfg.KeySource = src })
	_, err := c.Do(t.Context(), getReq(), nil)
	require.NoError(t, err, "reloaded, then retried with the new key")
	reloads, inFlight := src.state()
	assert.Equal(t, 1, reloads)
	assert.Zero(t, inFlight, "every acquired set was released")
	assert.Equal(t, int32(2), s.api.Load())

	// Reloading changes nothing: the call fails at once, with no second request.
	src.mu.Lock()
	src.creds.SubscriptionKey = "sk-STALE-000000000000"
	src.mu.Unlock()
	before := s.api.Load()
	_, err = c.Do(t.Context(), getReq(), nil)
	var e *vipps.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, vipps.ProblemGateway, e.Problem)
	assert.Equal(t, before+1, s.api.Load())
	reloads, inFlight = src.state()
	assert.Equal(t, 2, reloads)
	assert.Zero(t, inFlight)
}

func TestKeySourceReloadsOnceWhenTheTokenEndpointRefusesTheSecret(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	s.tokenFor = func(n int32) (int, string) {
		if n == 1 {
			return http.StatusUnauthorized, `{"error":"invalid_client","error_description":"bad secret"}`
		}
		return 200, tokenJSON(testAccessToken, 3600)
	}
	next := testCreds()
	next.ClientSecret = "cs-NEWSECRET-123456789"
	src := &fakeSource{creds: testCreds(), next: &next}
	c := newClient(t, s.URL, httpClient(t), func(cfg *core.Config) { cfg.KeySource = src })
	_, err := c.Do(t.Context(), getReq(), nil)
	require.NoError(t, err)
	reloads, _ := src.state()
	assert.Equal(t, 1, reloads)
	reqs := s.requests()
	require.Len(t, reqs, 3)
	assert.Equal(t, testClientSecret, reqs[0].Header.Get("client_secret"))
	assert.Equal(t, "cs-NEWSECRET-123456789", reqs[1].Header.Get("client_secret"))
}

func TestKeySourceHandedTokenIsUsedOnce(t *testing.T) {
	var bearers []string
	var mu sync.Mutex
	var rejectHanded atomic.Bool
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		bearers = append(bearers, r.Header.Get("Authorization"))
		mu.Unlock()
		if rejectHanded.Load() && r.Header.Get("Authorization") == "Bearer handed-token-value" {
			writeProblem(w, http.StatusUnauthorized, "invalid-token", "revoked")
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	src := &fakeSource{creds: testCreds(), handed: core.NewToken("handed-token-value", time.Now(), time.Hour)}
	c := newClient(t, s.URL, httpClient(t), func(cfg *core.Config) { cfg.KeySource = src })
	_, err := c.Do(t.Context(), getReq(), nil)
	require.NoError(t, err)
	assert.Zero(t, s.tokens.Load(), "no token request: the handed token was used")

	// After a 401 the cache fetches its own, instead of taking the handed one again.
	rejectHanded.Store(true)
	c2 := newClient(t, s.URL, httpClient(t), func(cfg *core.Config) { cfg.KeySource = src })
	_, err = c2.Do(t.Context(), getReq(), nil)
	require.NoError(t, err)
	assert.Equal(t, int32(1), s.tokens.Load())
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"Bearer handed-token-value", "Bearer handed-token-value", "Bearer " + testAccessToken + "-1"}, bearers)
}

// BenchmarkKeySourceGet is one GET through Do (token cached) with the fixed
// credentials and with a key source read on every call, on the same server.
func BenchmarkKeySourceGet(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/accesstoken/get" {
			_, _ = io.WriteString(w, tokenJSON(testAccessToken, 3600))
			return
		}
		_, _ = io.WriteString(w, benchBody)
	}))
	defer srv.Close()
	// "source-changed" holds a set other than the client's first one, as after a rotation.
	for _, mode := range []string{"fixed", "source", "source-changed"} {
		b.Run(mode, func(b *testing.B) {
			hc := core.DefaultHTTPClient()
			defer hc.CloseIdleConnections()
			c := newClient(b, srv.URL, hc, func(cfg *core.Config) {
				switch mode {
				case "source":
					cfg.KeySource = &fakeSource{creds: testCreds()}
				case "source-changed":
					next := testCreds()
					next.SubscriptionKey = newSubKey
					cfg.KeySource = &fakeSource{creds: next}
				}
			})
			var out benchThing
			if _, err := c.Do(b.Context(), getReq(), &out); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Do(b.Context(), getReq(), &out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
