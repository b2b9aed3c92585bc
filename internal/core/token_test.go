package core_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/internal/core"
	"github.com/vippsportal/sdk/vipps"
)

func TestConcurrentCallersShareOneTokenFetch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mock := httpmock.NewMockTransport()
		release := make(chan struct{})
		var tokenCalls atomic.Int32
		mock.RegisterResponder("POST", mockBase+"/accesstoken/get", func(r *http.Request) (*http.Response, error) {
			tokenCalls.Add(1)
			<-release // hold the fetch until every caller is waiting
			return httpmock.NewStringResponse(200, tokenJSON(testAccessToken, 3600)), nil
		})
		c := newClient(t, mockBase, &http.Client{Transport: mock})
		const n = 200
		var wg sync.WaitGroup
		toks := make([]string, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				tok, err := c.Token(t.Context(), core.GroupManagement)
				errs[i] = err
				if err == nil {
					toks[i] = tok.AccessToken.Reveal()
				}
			})
		}
		synctest.Wait() // all 200 are blocked: one in the fetch, 199 waiting for it
		assert.EqualValues(t, 1, tokenCalls.Load())
		close(release)
		wg.Wait()
		for i := range n {
			require.NoError(t, errs[i])
			assert.Equal(t, testAccessToken, toks[i])
		}
		assert.EqualValues(t, 1, tokenCalls.Load(), "exactly one token request for 200 callers")
	})
}

func TestConcurrentCallsOnRealServerOneToken(t *testing.T) {
	s := newServer(t, failThen(0, 0, ""))
	c := newClient(t, s.URL, httpClient(t))
	var wg sync.WaitGroup
	var failed atomic.Int32
	for range 200 {
		wg.Go(func() {
			if _, err := c.Do(t.Context(), getReq(), nil); err != nil {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	assert.Zero(t, failed.Load())
	assert.EqualValues(t, 1, s.tokens.Load())
	assert.EqualValues(t, 200, s.api.Load())
}

func TestProblem401RefreshesToken(t *testing.T) {
	t.Run("then success", func(t *testing.T) {
		var calls atomic.Int32
		s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			if calls.Add(1) == 1 {
				writeProblem(w, 401, "invalid-token", "token expired")
				return
			}
			_, _ = io.WriteString(w, `{"id":"t1"}`)
		})
		c := newClient(t, s.URL, httpClient(t))
		var out thing
		_, err := c.Do(t.Context(), getReq(), &out)
		require.NoError(t, err)
		assert.Equal(t, "t1", out.ID)
		assert.EqualValues(t, 2, s.tokens.Load())
		assert.EqualValues(t, 2, s.api.Load())
		reqs := s.apiRequests()
		assert.Equal(t, "Bearer "+testAccessToken+"-1", reqs[0].Header.Get("Authorization"))
		assert.Equal(t, "Bearer "+testAccessToken+"-2", reqs[1].Header.Get("Authorization"), "the retry uses the new token")
		// The new token is cached: a further call fetches none.
		_, err = c.Do(t.Context(), getReq(), nil)
		require.NoError(t, err)
		assert.EqualValues(t, 2, s.tokens.Load())
	})
	t.Run("each new token refused", func(t *testing.T) {
		s := newServer(t, func(w http.ResponseWriter, r *http.Request) { writeProblem(w, 401, "token-revoked", "revoked") })
		c := newClient(t, s.URL, httpClient(t)) // MaxAttempts 4
		_, err := c.Do(t.Context(), getReq(), nil)
		var apiErr *vipps.Error
		require.ErrorAs(t, err, &apiErr)
		assert.ErrorIs(t, err, vipps.ErrUnauthorized)
		assert.Equal(t, vipps.ProblemTokenRevoked, apiErr.Problem)
		assert.EqualValues(t, 4, s.tokens.Load(), "a new token after each refusal of a new one, MaxAttempts tokens in all")
		assert.EqualValues(t, 4, s.api.Load())
		assert.Equal(t, 4, apiErr.Attempts, "the attempts before each refresh count too")
	})
	t.Run("at least one refresh with MaxAttempts 1", func(t *testing.T) {
		s := newServer(t, func(w http.ResponseWriter, r *http.Request) { writeProblem(w, 401, "token-revoked", "revoked") })
		c := newClient(t, s.URL, httpClient(t), func(cfg *core.Config) { cfg.Retry.MaxAttempts = 1 })
		_, err := c.Do(t.Context(), getReq(), nil)
		require.ErrorIs(t, err, vipps.ErrUnauthorized)
		assert.EqualValues(t, 2, s.tokens.Load())
		assert.EqualValues(t, 2, s.api.Load())
	})
	t.Run("the same token refused again", func(t *testing.T) {
		s := newServer(t, func(w http.ResponseWriter, r *http.Request) { writeProblem(w, 401, "invalid-token", "no") })
		s.tokenFor = func(int32) (int, string) { return 200, tokenJSON(testAccessToken, 3600) } // always the same token
		c := newClient(t, s.URL, httpClient(t))
		_, err := c.Do(t.Context(), getReq(), nil)
		require.ErrorIs(t, err, vipps.ErrUnauthorized)
		assert.EqualValues(t, 2, s.tokens.Load(), "the endpoint handed out the refused token again: no further refresh")
		assert.EqualValues(t, 2, s.api.Load())
	})
	t.Run("gateway 401 not retried", func(t *testing.T) {
		s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(401)
			_, _ = io.WriteString(w, `{ "statusCode": 401, "message": "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription." }`)
		})
		c := newClient(t, s.URL, httpClient(t))
		_, err := c.Do(t.Context(), getReq(), nil)
		var apiErr *vipps.Error
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, vipps.ProblemGateway, apiErr.Problem)
		assert.ErrorIs(t, err, vipps.ErrUnauthorized)
		assert.EqualValues(t, 1, s.tokens.Load())
		assert.EqualValues(t, 1, s.api.Load())
	})
}

// fakeClock is a settable clock for core.Config.Now.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) Set(t time.Time) {
	f.mu.Lock()
	f.now = t
	f.mu.Unlock()
}

func TestTokenCacheExpiryFromReceiveTime(t *testing.T) {
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := &fakeClock{now: start}
	s := newServer(t, failThen(0, 0, ""))
	s.tokenFor = func(n int32) (int, string) {
		// The fetch takes 10 s on our clock; and the server's expires_on is long past
		// (a skewed server clock): neither may shorten or lengthen the cache.
		clock.Set(clock.Now().Add(10 * time.Second))
		return 200, fmt.Sprintf(`{"token_type":"Bearer","expires_in":"3600","expires_on":"1000","access_token":"%s-%d"}`, testAccessToken, n)
	}
	c := newClient(t, s.URL, httpClient(t), func(cfg *core.Config) { cfg.Now = clock.Now })

	tok, err := c.Token(t.Context(), core.GroupManagement)
	require.NoError(t, err)
	received := start.Add(10 * time.Second)
	assert.Equal(t, received, tok.Received)
	assert.Equal(t, time.Hour, tok.ExpiresIn)
	// Margin: min(1 min, expires_in/10) = 1 min.
	assert.Equal(t, received.Add(time.Hour-time.Minute), tok.ValidUntil())

	clock.Set(received.Add(time.Hour - time.Minute - time.Nanosecond))
	_, err = c.Do(t.Context(), getReq(), nil)
	require.NoError(t, err)
	assert.EqualValues(t, 1, s.tokens.Load(), "still valid just before expires_in minus margin, counted from receipt")

	clock.Set(received.Add(time.Hour - time.Minute))
	_, err = c.Do(t.Context(), getReq(), nil)
	require.NoError(t, err)
	assert.EqualValues(t, 2, s.tokens.Load(), "refetched at expires_in minus margin")
	reqs := s.apiRequests()
	assert.Equal(t, "Bearer "+testAccessToken+"-2", reqs[len(reqs)-1].Header.Get("Authorization"))
}

func TestTokenMarginShortLived(t *testing.T) {
	tok, err := core.ParseToken([]byte(`{"access_token":"abc","expires_in":100}`), time.Unix(1000, 0))
	require.NoError(t, err)
	assert.Equal(t, time.Unix(1090, 0), tok.ValidUntil(), "margin is a tenth of a short lifetime")
}

func TestParseTokenStringsAndNumbers(t *testing.T) {
	recv := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for name, body := range map[string]string{
		"strings": `{"token_type":"Bearer","expires_in":"86399","ext_expires_in":"86399","expires_on":"1767312000","not_before":"1767225600","resource":"00000002-0000-0000-c000-000000000000","access_token":"eyJ0eXAi.abc.def"}`,
		"numbers": `{"token_type":"Bearer","expires_in":86399,"ext_expires_in":86399,"expires_on":1767312000,"access_token":"eyJ0eXAi.abc.def"}`,
		"spaced":  `{ "token_type" : "Bearer" , "expires_in" :  86399 , "expires_on" : "1767312000", "access_token" : "eyJ0eXAi.abc.def" }`,
	} {
		t.Run(name, func(t *testing.T) {
			tok, err := core.ParseToken([]byte(body), recv)
			require.NoError(t, err)
			assert.Equal(t, "eyJ0eXAi.abc.def", tok.AccessToken.Reveal())
			assert.Equal(t, "Bearer", tok.TokenType)
			assert.Equal(t, 86399*time.Second, tok.ExpiresIn)
			assert.Equal(t, time.Unix(1767312000, 0), tok.ExpiresOn)
			assert.Equal(t, recv, tok.Received)
		})
	}
	for name, body := range map[string]string{
		"no token":        `{"expires_in":"3600"}`,
		"null token":      `{"access_token":null,"expires_in":"3600"}`,
		"bad expires_in":  `{"access_token":"x","expires_in":"soon"}`,
		"negative":        `{"access_token":"x","expires_in":-5}`,
		"huge":            `{"access_token":"x","expires_in":1e300}`,
		"not json":        `<html>`,
		"truncated":       `{"access_token":"x","expires_in":"36`,
		"object as token": `{"access_token":{"a":1}}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := core.ParseToken([]byte(body), recv)
			require.Error(t, err)
			assert.NotContains(t, err.Error(), `"x"`, "the token value is not echoed")
		})
	}
}

func TestHeadersOnEveryRequest(t *testing.T) {
	s := newServer(t, failThen(0, 0, ""))
	c := newClient(t, s.URL, httpClient(t))
	_, err := c.Do(t.Context(), getReq(), nil)
	require.NoError(t, err)
	_, err = c.Do(t.Context(), idemPost(), nil)
	require.NoError(t, err)
	reqs := s.requests()
	require.Len(t, reqs, 3)
	for _, r := range reqs {
		h := r.Header
		assert.Equal(t, "vippsportal-sdk-go/"+vipps.Version, h.Get("User-Agent"), r.Path)
		assert.Equal(t, "acme-pos", h.Get("Vipps-System-Name"))
		assert.Equal(t, "1.2.3", h.Get("Vipps-System-Version"))
		assert.Equal(t, "acme-plugin", h.Get("Vipps-System-Plugin-Name"))
		assert.Equal(t, "4.5.6", h.Get("Vipps-System-Plugin-Version"))
		assert.Equal(t, testMSN, h.Get("Merchant-Serial-Number"))
		assert.Equal(t, testSubKey, h.Get("Ocp-Apim-Subscription-Key"))
	}
	tokReq := reqs[0]
	assert.Equal(t, "/accesstoken/get", tokReq.Path)
	assert.Equal(t, http.MethodPost, tokReq.Method)
	assert.Equal(t, testClientID, tokReq.Header.Get("client_id"))
	assert.Equal(t, testClientSecret, tokReq.Header.Get("client_secret"))
	assert.Empty(t, tokReq.Header.Get("Authorization"))
	for _, r := range reqs[1:] {
		assert.Equal(t, "Bearer "+testAccessToken+"-1", r.Header.Get("Authorization"))
		assert.Empty(t, r.Header.Get("client_secret"), "the client secret goes to the token endpoint only")
	}
}

func TestTokenEndpointErrors(t *testing.T) {
	t.Run("oauth 401 not retried", func(t *testing.T) {
		s := newServer(t, failThen(0, 0, ""))
		s.tokenFor = func(int32) (int, string) {
			return 401, `{"error":"unauthorized_client","error_description":"AADSTS700016: Application with identifier 'x' was not found."}`
		}
		c := newClient(t, s.URL, httpClient(t))
		_, err := c.Do(t.Context(), getReq(), nil)
		var apiErr *vipps.Error
		require.ErrorAs(t, err, &apiErr)
		assert.ErrorIs(t, err, vipps.ErrUnauthorized)
		assert.Equal(t, "unauthorized_client", apiErr.Problem)
		assert.Equal(t, "/accesstoken/get", apiErr.Path)
		assert.EqualValues(t, 1, s.tokens.Load())
		assert.Zero(t, s.api.Load(), "no API call without a token")
	})
	t.Run("500 retried", func(t *testing.T) {
		s := newServer(t, failThen(0, 0, ""))
		s.tokenFor = func(n int32) (int, string) {
			if n == 1 {
				return 500, `oops`
			}
			return 200, tokenJSON(testAccessToken, 3600)
		}
		c := newClient(t, s.URL, httpClient(t))
		_, err := c.Do(t.Context(), getReq(), nil)
		require.NoError(t, err)
		assert.EqualValues(t, 2, s.tokens.Load())
	})
	t.Run("unusable answer", func(t *testing.T) {
		s := newServer(t, failThen(0, 0, ""))
		s.tokenFor = func(int32) (int, string) { return 200, `{"token_type":"Bearer"}` }
		c := newClient(t, s.URL, httpClient(t))
		_, err := c.Do(t.Context(), getReq(), nil)
		var apiErr *vipps.Error
		require.ErrorAs(t, err, &apiErr)
		require.Error(t, apiErr.Err)
		assert.Contains(t, apiErr.Err.Error(), "access_token")
		assert.Zero(t, s.api.Load())
	})
}

func TestTokenCachedPerKeySetAndRoot(t *testing.T) {
	s := newServer(t, failThen(0, 0, ""))
	c := newClient(t, s.URL, httpClient(t))
	creds := testCreds()
	_, err := c.FetchToken(t.Context(), creds, s.URL)
	require.NoError(t, err)
	_, err = c.Token(t.Context(), core.GroupManagement)
	require.NoError(t, err)
	_, err = c.Token(t.Context(), core.GroupPortal)
	require.NoError(t, err, "same root for both groups here: one cache entry")
	assert.EqualValues(t, 2, s.tokens.Load(), "FetchToken bypasses the cache; Token fetched once")
}

// panicOnce panics with "boom" the first time it is asked to, once release is closed.
type panicOnce struct {
	done    atomic.Bool
	release chan struct{}
}

func (p *panicOnce) maybe() {
	if p.done.CompareAndSwap(false, true) {
		<-p.release // another call joins the fetch meanwhile
		panic("boom")
	}
}

// panickyHandler is a slog handler that panics on the first event of a token request.
type panickyHandler struct {
	slog.Handler
	p *panicOnce
}

func (h panickyHandler) Handle(ctx context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "operation" && a.Value.String() == "fetchAuthorizationTokenUsingPost" {
			h.p.maybe()
		}
		return true
	})
	return h.Handler.Handle(ctx, r)
}

// A panic during a token fetch (in the caller's transport, or its slog
// handler), which the caller recovers as net/http servers do, reaches the call
// that started the fetch and wedges nothing: a call waiting for that fetch
// fetches again, and so do later calls.
func TestPanicDuringTokenFetchDoesNotWedgeTheCache(t *testing.T) {
	for _, where := range []string{"transport", "slog handler"} {
		t.Run(where, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := &panicOnce{release: make(chan struct{})}
				var tokens atomic.Int32
				c := newClient(t, mockBase, &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
					if r.URL.Path == "/accesstoken/get" {
						tokens.Add(1)
						if where == "transport" {
							p.maybe()
						}
						return jsonAnswer(r, 200, tokenJSON(testAccessToken, 3600)), nil
					}
					return jsonAnswer(r, 200, `{"id":"t1"}`), nil
				})}, func(cfg *core.Config) {
					if where == "slog handler" {
						cfg.Logger = slog.New(panickyHandler{Handler: slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug}), p: p})
					}
				})
				call := func() error {
					ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
					defer cancel()
					_, err := c.Do(ctx, getReq(), nil)
					return err
				}
				var recovered any
				var first, waiter error
				var wg sync.WaitGroup
				wg.Go(func() {
					defer func() { recovered = recover() }()
					first = call()
				})
				synctest.Wait() // the first call's fetch is under way
				wg.Go(func() { waiter = call() })
				synctest.Wait() // the second call waits for it
				start := time.Now()
				close(p.release)
				wg.Wait()
				assert.Equal(t, "boom", recovered, "the call that started the fetch panics with the panic's own value")
				assert.NoError(t, first, "no result: it panicked")
				assert.NoError(t, waiter, "the waiting call fetched again")
				require.NoError(t, call(), "a later call works")
				assert.Zero(t, time.Since(start), "nobody waited for a timeout")
				wantTokens := 2 // the fetch that panicked in the transport, and one more
				if where == "slog handler" {
					wantTokens = 1 // it panicked as its request was about to leave
				}
				assert.EqualValues(t, wantTokens, tokens.Load())
			})
		})
	}
}

// A call waiting for another call's token fetch stops waiting when its own
// context ends; the fetch goes on for the call that started it.
// A fetch that fails fails every caller that waited for it, with one token
// request: an outage is not asked once per waiting caller. A fetch that ended
// only because its own caller gave up is not a failure the others share.
func TestWaitingCallersShareAFailedFetch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var tokens atomic.Int32
		c := newClient(t, mockBase, &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			tokens.Add(1)
			select {
			case <-release:
			case <-r.Context().Done():
				return nil, r.Context().Err()
			}
			return jsonAnswer(r, http.StatusUnauthorized, `{"error":"invalid_client","error_description":"wrong secret"}`), nil
		})}, func(cfg *core.Config) { cfg.Retry.MaxAttempts = 1 })
		const n = 50
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { _, errs[i] = c.Token(t.Context(), core.GroupManagement) })
		}
		synctest.Wait() // one fetching, 49 waiting their turn
		close(release)
		wg.Wait()
		assert.EqualValues(t, 1, tokens.Load(), "one token request for the callers that waited")
		for i := range n {
			var apiErr *vipps.Error
			require.ErrorAs(t, errs[i], &apiErr)
			assert.Equal(t, "invalid_client", apiErr.Problem)
		}
		assert.NotSame(t, errs[0], errs[1], "each caller has its own error")

		// Later callers ask again: a failure is shared only with those who waited for it.
		_, err := c.Token(t.Context(), core.GroupManagement)
		assert.Error(t, err)
		assert.EqualValues(t, 2, tokens.Load())

		// The fetcher's own deadline is its own: the caller behind it fetches.
		release = make(chan struct{})
		short, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		var first error
		wg.Go(func() { _, first = c.Token(short, core.GroupManagement) })
		synctest.Wait()
		var second error
		wg.Go(func() { _, second = c.Token(t.Context(), core.GroupManagement) })
		time.Sleep(time.Second) // the fake clock: the first caller's deadline passes
		synctest.Wait()
		close(release)
		wg.Wait()
		assert.ErrorIs(t, first, context.DeadlineExceeded)
		var apiErr *vipps.Error
		require.ErrorAs(t, second, &apiErr)
		assert.Equal(t, "invalid_client", apiErr.Problem, "the second caller fetched for itself")
		assert.EqualValues(t, 4, tokens.Load())
	})
}

func TestTokenWaiterLeavesOnItsOwnContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var tokens atomic.Int32
		c := newClient(t, mockBase, &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.URL.Path == "/accesstoken/get" {
				tokens.Add(1)
				<-release
				return jsonAnswer(r, 200, tokenJSON(testAccessToken, 3600)), nil
			}
			return jsonAnswer(r, 200, `{"id":"t1"}`), nil
		})})
		var first error
		var wg sync.WaitGroup
		wg.Go(func() { _, first = c.Do(context.Background(), getReq(), nil) })
		synctest.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		_, err := c.Do(ctx, getReq(), nil)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, time.Second, time.Since(start), "left at its own deadline")
		close(release)
		wg.Wait()
		assert.NoError(t, first)
		assert.EqualValues(t, 1, tokens.Load())
	})
}

// A token answer of another type than Bearer (RFC 6749 section 7.1) is
// refused, and nothing is sent with it; Bearer in any case, or no type at
// all, is taken.
func TestTokenTypeMustBeBearer(t *testing.T) {
	recv := time.Unix(1000, 0)
	for _, tt := range []string{`"Bearer"`, `"bearer"`, `"BEARER"`, `" Bearer "`, `null`, `""`, ``} {
		body := `{"access_token":"tok-123456","expires_in":3600}`
		if tt != "" {
			body = `{"access_token":"tok-123456","expires_in":3600,"token_type":` + tt + `}`
		}
		_, err := core.ParseToken([]byte(body), recv)
		assert.NoError(t, err, "token_type %s", tt)
	}
	for tt, want := range map[string]string{
		`"mac"`:                    `token_type "mac"`,
		`"Basic"`:                  `token_type "Basic"`,
		`"DPoP"`:                   `token_type "DPoP"`,
		`"tok-123456 is a secret"`: `unusable token_type`,
	} {
		_, err := core.ParseToken([]byte(`{"access_token":"tok-123456","expires_in":3600,"token_type":`+tt+`}`), recv)
		require.Error(t, err, tt)
		assert.Contains(t, err.Error(), want)
		assert.Contains(t, err.Error(), "Bearer")
		assert.NotContains(t, err.Error(), "tok-123456", "the answer's token is not quoted")
	}

	s := newServer(t, failThen(0, 0, ""))
	s.tokenFor = func(int32) (int, string) {
		return 200, `{"token_type":"mac","expires_in":"3600","access_token":"tok-mac-0001"}`
	}
	c := newClient(t, s.URL, httpClient(t))
	_, err := c.Do(t.Context(), getReq(), nil)
	var e *vipps.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "fetchAuthorizationTokenUsingPost", e.Operation)
	assert.Contains(t, err.Error(), `token_type "mac"`)
	assert.Zero(t, s.api.Load(), "a mac token is never sent as a Bearer one")
}

// revokingAPI is an in-memory token endpoint and API that revokes every
// token every 1.5 s (on the bubble's clock) until `until`: a token works only
// in the period it was issued in. An API request takes a random time, up to
// maxLatency, to reach the server, and as long again for its answer to come
// back (a loaded server), so calls overlap the revocations in every way; a
// token request takes up to maxLatency in all.
type revokingAPI struct {
	start      time.Time
	maxLatency time.Duration
	until      time.Duration // no revocation after this
	issued     atomic.Int64
	mu         sync.Mutex
	period     map[string]int64 // token -> the period it was issued in
}

const revocationPeriod = 1500 * time.Millisecond

func (a *revokingAPI) now() int64 {
	return int64(min(time.Since(a.start), a.until) / revocationPeriod)
}

func (a *revokingAPI) latency(max time.Duration) { time.Sleep(rand.N(max)) }

func (a *revokingAPI) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == "/accesstoken/get" {
		a.latency(a.maxLatency / 2)
		tok := fmt.Sprintf("tok-%d", a.issued.Add(1))
		a.mu.Lock()
		a.period[tok] = a.now()
		a.mu.Unlock()
		a.latency(a.maxLatency / 2)
		return jsonAnswer(r, 200, tokenJSON(tok, 3600)), nil
	}
	if u, ok := r.Context().Value(usedTokens{}).(*[]string); ok {
		*u = append(*u, r.Header.Get("Authorization"))
	}
	a.latency(a.maxLatency)
	a.mu.Lock()
	p, known := a.period[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	a.mu.Unlock()
	revoked := !known || p != a.now()
	a.latency(a.maxLatency)
	if revoked {
		resp := jsonAnswer(r, 401, `{"type":"https://x/problems/token-revoked","title":"Unauthorized","status":401,"detail":"revoked"}`)
		resp.Header.Set("Content-Type", "application/problem+json")
		return resp, nil
	}
	return jsonAnswer(r, 200, `{"id":"t1"}`), nil
}

// usedTokens carries a *[]string that collects the tokens a call sent.
type usedTokens struct{}

// A token endpoint revokes every token every 1.5 s while 500 goroutines call
// for 4 s: no call fails. A call whose fresh token is revoked too before it is
// used (its first attempt was refused just after one revocation, its retry
// arrives just after the next) refreshes again, since that token is not the
// one refused before; with two revocations a call needs three tokens at most.
// (Refreshing once, as the SDK did, some 50 calls of 2,000 failed here.)
// Time is the bubble's: the test takes about a second.
func TestRevocationStormFailsNoCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const goroutines, duration = 500, 4 * time.Second
		api := &revokingAPI{start: time.Now(), maxLatency: 800 * time.Millisecond, until: duration, period: map[string]int64{}}
		c := newClient(t, mockBase, &http.Client{Transport: api}) // MaxAttempts 4: up to 4 tokens a call
		var calls, failed, refreshedTwice atomic.Int64
		var wg sync.WaitGroup
		for range goroutines {
			wg.Go(func() {
				for time.Since(api.start) < duration {
					calls.Add(1)
					var used []string
					_, err := c.Do(context.WithValue(context.Background(), usedTokens{}, &used), getReq(), nil)
					if err != nil {
						if failed.Add(1) <= 3 {
							t.Errorf("after %s, with tokens %v: %v", time.Since(api.start), used, err)
						}
					}
					if len(used) > 2 {
						refreshedTwice.Add(1)
					}
				}
			})
		}
		wg.Wait()
		t.Logf("%d goroutines for %s: %d calls, %d failed, %d refreshed their token more than once, %d tokens issued",
			goroutines, duration, calls.Load(), failed.Load(), refreshedTwice.Load(), api.issued.Load())
		assert.Zero(t, failed.Load())
		assert.Greater(t, calls.Load(), int64(2*goroutines))
		assert.Positive(t, refreshedTwice.Load(), "the storm revoked fresh tokens before their first use")
	})
}
