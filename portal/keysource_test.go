package portal_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/vipps"
)

func okAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{}`)
}

func newHTTPClientTest(t *testing.T, api http.HandlerFunc, opts ...portal.Option) (*testServer, *portal.Client) {
	s := newTestServer(t, api)
	c, err := portal.New(append([]portal.Option{portal.WithCredentials(creds()), portal.WithBaseURL(s.URL),
		portal.WithHTTPClient(hc(t)), portal.WithRetry(fast)}, opts...)...)
	require.NoError(t, err)
	return s, c
}

func (s *testServer) apiHeaders() []http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []http.Header
	for _, h := range s.headers {
		if h.Get("Client_id") == "" {
			out = append(out, h)
		}
	}
	return out
}

func TestHTTPClientAuthenticatesCallsToOtherVippsAPIs(t *testing.T) {
	s, c := newHTTPClientTest(t, okAPI, portal.WithSystem("acme-shop", "2.1", "", ""))
	hc := c.HTTPClient()
	req, err := http.NewRequestWithContext(portal.WithMSN(t.Context(), "654321"), http.MethodPost,
		s.URL+"/epayment/v1/payments", strings.NewReader(`{"amount":{"value":100}}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	resp, err = hc.Get(s.URL + "/recurring/v3/agreements")
	require.NoError(t, err)
	_ = resp.Body.Close()

	hs := s.apiHeaders()
	require.Len(t, hs, 2)
	for i, h := range hs {
		assert.Equal(t, "Bearer "+accessToken+"-1", h.Get("Authorization"), "the client's cached token")
		assert.Equal(t, subKey, h.Get("Ocp-Apim-Subscription-Key"))
		assert.Equal(t, "acme-shop", h.Get("Vipps-System-Name"))
		assert.Equal(t, "2.1", h.Get("Vipps-System-Version"))
		assert.NotEmpty(t, h.Get("Vipps-System-Plugin-Name"))
		assert.Contains(t, h.Get("User-Agent"), "vippsportal-sdk-go/")
		assert.Equal(t, []string{"654321", "123456"}[i], h.Get("Merchant-Serial-Number"), "WithMSN for one call, the set's otherwise")
	}
	assert.Equal(t, "application/json", hs[0].Get("Content-Type"), "the caller's headers are kept")
	assert.Equal(t, int32(1), s.tokens.Load())
}

func TestHTTPClientSharesTheTokenCache(t *testing.T) {
	s, c := newHTTPClientTest(t, okAPI)
	hc := c.HTTPClient()
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := range 32 {
		wg.Go(func() {
			var err error
			if i%2 == 0 {
				var resp *http.Response
				if resp, err = hc.Get(s.URL + "/epayment/v1/payments/p" + strconv.Itoa(i)); err == nil {
					_ = resp.Body.Close()
				}
			} else {
				_, err = portal.CoreOf(c).Do(t.Context(), mgmtGet(), nil)
			}
			if err != nil {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	assert.Zero(t, failed.Load())
	assert.Equal(t, int32(1), s.tokens.Load(), "one token fetch for every goroutine, services and HTTPClient alike")
	assert.Equal(t, int32(32), s.api.Load())
}

func TestHTTPClientSendsCredentialsNowhereElse(t *testing.T) {
	other := newTestServer(t, okAPI)
	s, c := newHTTPClientTest(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/stolen?key="+subKey, http.StatusFound)
	})
	hc := c.HTTPClient()
	host, port, _ := strings.Cut(strings.TrimPrefix(s.URL, "http://"), ":")
	for _, u := range []string{
		other.URL + "/epayment/v1/payments",           // another port
		"https://" + host + ":" + port + "/epayment",  // another scheme
		"http://localhost:" + port + "/epayment",      // another host name for the same place
		"http://evil.example:" + port + "/epayment/x", // another host
	} {
		_, err := hc.Get(u)
		var ve *vipps.ValidationError
		require.ErrorAs(t, err, &ve, u)
		assert.Equal(t, "request URL", ve.Field)
		assert.ErrorIs(t, err, vipps.ErrInvalidInput)
	}
	assert.Zero(t, s.tokens.Load(), "refused before a token was even fetched")

	// A request whose Host header names another host gets no credentials either.
	for _, h := range []string{"evil.example", "evil.example:" + port, "localhost:" + port} {
		req, err := http.NewRequest(http.MethodGet, s.URL+"/epayment/v1/payments/x", nil)
		require.NoError(t, err)
		req.Host = h
		_, err = hc.Do(req)
		var ve *vipps.ValidationError
		require.ErrorAs(t, err, &ve, h)
		assert.Equal(t, "request Host", ve.Field)
	}
	assert.Zero(t, s.tokens.Load()+s.api.Load(), "refused before anything was sent")
	req, err := http.NewRequest(http.MethodGet, s.URL+"/epayment/v1/payments/x", nil)
	require.NoError(t, err)
	req.Host = strings.ToUpper(host) + ":" + port // the base URL's own host, written otherwise
	_, err = hc.Do(req)
	var e *vipps.Error
	require.ErrorAs(t, err, &e, "sent, and redirected")
	assert.Equal(t, int32(1), s.api.Load())

	// A redirect (to another host) is not followed: the request fails, naming
	// the host it pointed to and never the rest of the Location.
	_, err = hc.Get(s.URL + "/epayment/v1/payments/x")
	require.ErrorAs(t, err, &e)
	assert.Equal(t, http.StatusFound, e.StatusCode)
	assert.Equal(t, strings.TrimPrefix(other.URL, "http://"), e.RedirectHost)
	assert.Contains(t, err.Error(), "redirect to "+e.RedirectHost+" not followed")
	assert.NotContains(t, err.Error(), "stolen", "the Location's path is not quoted")
	assert.NotContains(t, err.Error(), subKey)
	assert.Zero(t, other.api.Load()+other.tokens.Load(), "nothing reached the other server")
	other.mu.Lock()
	assert.Empty(t, other.headers)
	other.mu.Unlock()
}

func TestHTTPClientRefreshesTheTokenOnceOn401(t *testing.T) {
	var bodies []string
	var mu sync.Mutex
	var always atomic.Bool
	s, c := newHTTPClientTest(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		if always.Load() || r.Header.Get("Authorization") == "Bearer "+accessToken+"-1" {
			w.WriteHeader(http.StatusUnauthorized) // the first token was revoked
			return
		}
		okAPI(w, r)
	})
	hc := c.HTTPClient()
	resp, err := hc.Post(s.URL+"/epayment/v1/payments", "application/json", bytes.NewReader([]byte(`{"n":1}`)))
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, int32(2), s.tokens.Load(), "a new token after the 401")
	mu.Lock()
	assert.Equal(t, []string{`{"n":1}`, `{"n":1}`}, bodies, "the body was replayed (GetBody)")
	mu.Unlock()

	// A body that cannot be replayed is not resent: the caller gets the 401.
	always.Store(true)
	req, err := http.NewRequest(http.MethodPost, s.URL+"/epayment/v1/payments", io.NopCloser(strings.NewReader("x")))
	require.NoError(t, err)
	require.Nil(t, req.GetBody)
	before := s.api.Load()
	resp, err = hc.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, before+1, s.api.Load())

	// Once only: a 401 that persists is returned after one resend.
	before = s.api.Load()
	resp, err = hc.Get(s.URL + "/epayment/v1/payments/x")
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, before+2, s.api.Load())
}

func TestWithMSNIsCheckedBeforeAnyRequest(t *testing.T) {
	s, c := newHTTPClientTest(t, okAPI)
	ctx := portal.WithMSN(t.Context(), "12ab")
	_, err := portal.CoreOf(c).Do(ctx, mgmtGet(), nil)
	requireWithMSNInvalid(t, err)
	_, err = c.SalesUnits.Get(ctx, "123456")
	requireWithMSNInvalid(t, err)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/epayment/v1/payments/x", nil)
	_, err = c.HTTPClient().Do(req)
	requireWithMSNInvalid(t, err)
	assert.Empty(t, s.apiHeaders(), "nothing was sent")
	assert.Zero(t, s.tokens.Load())

	// A good one reaches the services' requests.
	_, err = c.SalesUnits.Get(portal.WithMSN(t.Context(), "7654321"), "123456")
	require.NoError(t, err)
	hs := s.apiHeaders()
	require.Len(t, hs, 1)
	assert.Equal(t, "7654321", hs[0].Get("Merchant-Serial-Number"))
}

func requireWithMSNInvalid(t *testing.T, err error) {
	t.Helper()
	var ve *vipps.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "WithMSN", ve.Field)
}

func TestKeySourceReplacesCredentialsAndIsRead(t *testing.T) {
	s, _ := newHTTPClientTest(t, okAPI)
	set := keys.Set{MSN: "123456", Environment: "production", ClientID: clientID, ClientSecret: clientSecret,
		SubscriptionKeyPrimary: subKey, SubscriptionKeySecondary: "SK-other-subkey-0000"}
	live := keys.NewLiveSource(set, keys.SubscriptionKeySecondary)
	c, err := portal.New(portal.WithKeySource(live), portal.WithBaseURL(s.URL), portal.WithHTTPClient(hc(t)), portal.WithRetry(fast))
	require.NoError(t, err, "no WithCredentials needed")
	_, err = portal.CoreOf(c).Do(t.Context(), mgmtGet(), nil)
	require.NoError(t, err)
	require.NoError(t, live.Store(t.Context(), set, keys.SubscriptionKeyPrimary))
	resp, err := c.HTTPClient().Get(s.URL + "/epayment/v1/payments/x")
	require.NoError(t, err)
	_ = resp.Body.Close()
	hs := s.apiHeaders()
	require.Len(t, hs, 2)
	assert.Equal(t, "SK-other-subkey-0000", hs[0].Get("Ocp-Apim-Subscription-Key"))
	assert.Equal(t, subKey, hs[1].Get("Ocp-Apim-Subscription-Key"), "the stored key, with no new client")
	assert.Equal(t, 0, live.InFlight(keys.SubscriptionKeyPrimary)+live.InFlight(keys.SubscriptionKeySecondary), "every request released its keys")
}

func TestKeySourcesNeverShowSecrets(t *testing.T) {
	set := keys.Set{MSN: "123456", Environment: "production", ClientID: clientID, ClientSecret: clientSecret,
		SubscriptionKeyPrimary: subKey, SubscriptionKeySecondary: subKey + "2"}
	live := keys.NewLiveSource(set, keys.SubscriptionKeyPrimary)
	formatAll(t, "*keys.LiveSource", live)
	path := filepath.Join(t.TempDir(), "keys.json")
	b, err := json.Marshal(keys.KeyFile{InUse: keys.SubscriptionKeyPrimary, Keys: set.Reveal()})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b, 0o600))
	fs, err := keys.NewFileSource(path)
	require.NoError(t, err)
	formatAll(t, "*keys.FileSource", fs)
	formatAll(t, "keys.AccessToken", keys.AccessToken{Value: accessToken})

	// A refused destination and a failed token fetch through HTTPClient say nothing secret either.
	s, c := newHTTPClientTest(t, okAPI, portal.WithKeySource(live))
	_, err = c.HTTPClient().Get("http://elsewhere.example/x?k=1")
	require.Error(t, err)
	formatAll(t, "HTTPClient refusal", err)
	s.Close()
	_, err = c.HTTPClient().Get(s.URL + "/x")
	require.Error(t, err)
	formatAll(t, "HTTPClient transport error", err)
	assert.False(t, errors.Is(err, context.Canceled))
}

// slowAPI answers tokens at once; other requests get their headers after
// headersAfter and then a body of chunks, one every chunkEvery, each wait
// ending early when the request's context ends.
type slowAPI struct {
	headersAfter, chunkEvery time.Duration
	chunks                   int
}

func (a slowAPI) RoundTrip(r *http.Request) (*http.Response, error) {
	ctx := r.Context()
	if r.URL.Path == "/accesstoken/get" {
		return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}}, Request: r,
			Body: io.NopCloser(strings.NewReader(`{"token_type":"Bearer","expires_in":"3600","access_token":"` + accessToken + `"}`))}, nil
	}
	if err := sleepCtx(ctx, a.headersAfter); err != nil {
		return nil, err
	}
	pr, pw := io.Pipe()
	go func() {
		for range a.chunks {
			if err := sleepCtx(ctx, a.chunkEvery); err != nil {
				pw.CloseWithError(err)
				return
			}
			_, _ = pw.Write([]byte("chunk;"))
		}
		_ = pw.Close()
	}()
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Request: r, Body: pr}, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// HTTPClient bounds an attempt by RetryPolicy.AttemptTimeout until its
// answer's headers arrive; the body then runs under the caller's context
// alone, so a download longer than an attempt completes.
func TestHTTPClientBoundsHeadersNotTheBody(t *testing.T) {
	get := func(t *testing.T, ctx context.Context, api slowAPI) (string, time.Duration, error) {
		c, err := portal.New(portal.WithCredentials(creds()), portal.WithBaseURL("https://api.vipps.test"),
			portal.WithHTTPClient(&http.Client{Transport: api}), portal.WithRetry(vipps.RetryPolicy{AttemptTimeout: 30 * time.Second}))
		require.NoError(t, err)
		start := time.Now()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://api.vipps.test/reports/v1/big", nil)
		require.NoError(t, err)
		resp, err := c.HTTPClient().Do(req)
		if err != nil {
			return "", time.Since(start), err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), time.Since(start), err
	}
	t.Run("a download longer than an attempt", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			body, took, err := get(t, context.Background(), slowAPI{chunkEvery: 20 * time.Second, chunks: 3})
			require.NoError(t, err)
			assert.Equal(t, "chunk;chunk;chunk;", body)
			assert.Equal(t, time.Minute, took)
		})
	})
	t.Run("headers later than an attempt", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			_, took, err := get(t, context.Background(), slowAPI{headersAfter: time.Minute})
			require.Error(t, err)
			assert.ErrorContains(t, err, "attempt timeout of 30s")
			assert.Equal(t, 30*time.Second, took)
		})
	})
	t.Run("the caller's context bounds the body", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
			defer cancel()
			body, took, err := get(t, ctx, slowAPI{chunkEvery: 20 * time.Second, chunks: 3})
			require.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Equal(t, "chunk;chunk;", body)
			assert.Equal(t, 45*time.Second, took)
		})
	})
}

// A nil source (a nil *keys.LiveSource or *keys.FileSource too) and a source
// whose set no request could carry are refused by New, naming WithKeySource,
// instead of a panic or a client whose every call fails.
func TestWithKeySourceRefusesWhatCannotServe(t *testing.T) {
	for name, src := range map[string]keys.Source{
		"nil":                  nil,
		"nil *keys.LiveSource": (*keys.LiveSource)(nil),
		"nil *keys.FileSource": (*keys.FileSource)(nil),
	} {
		t.Run(name, func(t *testing.T) {
			var err error
			require.NotPanics(t, func() { _, err = portal.New(portal.WithKeySource(src)) })
			var ve *vipps.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, "WithKeySource", ve.Field)
		})
	}
	set := keys.Set{MSN: "123456", Environment: "production", ClientID: clientID, ClientSecret: clientSecret,
		SubscriptionKeyPrimary: subKey + "\r\nX-Injected: 1", SubscriptionKeySecondary: subKey}
	_, err := portal.New(portal.WithKeySource(keys.NewLiveSource(set, keys.SubscriptionKeyPrimary)))
	var ve *vipps.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "WithKeySource.SubscriptionKey", ve.Field)
}
