package core_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/internal/core"
	"github.com/vippsportal/sdk/vipps"
)

func postReq() *core.Request {
	return &core.Request{Group: core.GroupPortal, Operation: "createTestSalesUnit", Method: http.MethodPost,
		Path: "/portal/v1/test-sales-units", Body: map[string]string{"name": "Dev shop"}, Idempotent: true}
}

// --- 1. No redirect is ever followed ---

func TestRedirectsAreNeverFollowed(t *testing.T) {
	var elsewhere atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		_, _ = io.WriteString(w, tokenJSON("stolen", 3600))
	}))
	t.Cleanup(target.Close)
	tu, _ := url.Parse(target.URL)
	otherPort := "http://" + tu.Host + "/collect?key=" + testSubKey
	otherHost := strings.Replace(otherPort, "127.0.0.1", "localhost", 1)

	for _, loc := range []string{otherPort, otherHost} {
		for _, code := range []int{301, 302, 303, 307, 308} {
			for _, r := range []*core.Request{getReq(), postReq()} {
				for _, clientKind := range []string{"default", "caller's"} {
					name := fmt.Sprintf("%d %s %s client to %s", code, r.Method, clientKind, loc[:16])
					t.Run(name, func(t *testing.T) {
						s := newServer(t, func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, loc, code) })
						var given *http.Client
						if clientKind == "caller's" {
							given = httpClient(t)
						}
						c := newClient(t, s.URL, given)
						if clientKind == "default" {
							t.Cleanup(func() { _ = c.Close() })
						}
						_, err := c.Do(t.Context(), r, nil)
						var e *vipps.Error
						require.ErrorAs(t, err, &e)
						assert.Equal(t, code, e.StatusCode)
						assert.Equal(t, 1, e.Attempts, "a redirect is not retried")
						wantHost, _ := url.Parse(loc)
						assert.Equal(t, wantHost.Host, e.RedirectHost)
						assert.NotContains(t, e.Error(), "collect", "never the target's path or query")
						assert.NotContains(t, e.Error(), testSubKey)
						if r.Method == http.MethodPost {
							assert.NotEmpty(t, e.IdempotencyKey, "a POST answered 3xx is an unknown outcome")
						}
						if given != nil {
							assert.Nil(t, given.CheckRedirect, "the caller's client is not mutated")
							assert.Zero(t, given.Timeout)
						}
						assert.Zero(t, elsewhere.Load(), "nothing reached the redirect target")
					})
				}
			}
		}
	}
}

func TestTokenRedirectSendsNoSecretElsewhere(t *testing.T) {
	var elsewhere atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	t.Cleanup(target.Close)
	s := newServer(t, nil)
	s.tokenFor = func(int32) (int, string) { return 200, "" }
	s.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/accesstoken/get", http.StatusTemporaryRedirect)
	})
	c := newClient(t, s.URL, httpClient(t))
	_, err := c.Token(t.Context(), core.GroupManagement)
	var e *vipps.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 307, e.StatusCode)
	assert.Contains(t, e.Error(), "redirect to "+strings.TrimPrefix(target.URL, "http://")+" not followed")
	assert.Zero(t, elsewhere.Load())
}

func TestHTTPSToHTTPRedirectNotFollowed(t *testing.T) {
	var plain atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { plain.Add(1) }))
	t.Cleanup(target.Close)
	tls := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/accesstoken/get" {
			_, _ = io.WriteString(w, tokenJSON(testAccessToken, 3600))
			return
		}
		http.Redirect(w, r, target.URL+r.URL.Path, http.StatusPermanentRedirect)
	}))
	t.Cleanup(tls.Close)
	hc := tls.Client()
	c := newClient(t, tls.URL, hc)
	_, err := c.Do(t.Context(), getReq(), nil)
	var e *vipps.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 308, e.StatusCode)
	assert.Zero(t, plain.Load(), "the bearer token never went to plain http")
}

// --- 2. Every wait is bounded ---

// stallTransport answers nothing until the request's context ends (never
// answer), or answers 200 and drips its body one byte then nothing (drip).
type stallTransport struct {
	drip  bool
	calls atomic.Int32
}

func (s *stallTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == "/accesstoken/get" {
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Request: r,
			Body: io.NopCloser(strings.NewReader(tokenJSON(testAccessToken, 3600)))}, nil
	}
	s.calls.Add(1)
	if !s.drip {
		<-r.Context().Done()
		return nil, r.Context().Err()
	}
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Request: r,
		Body: &dripBody{ctx: r.Context()}}, nil
}

type dripBody struct {
	ctx  context.Context
	sent bool
}

func (d *dripBody) Read(p []byte) (int, error) {
	if !d.sent {
		d.sent = true
		p[0] = '{'
		return 1, nil
	}
	<-d.ctx.Done()
	return 0, d.ctx.Err()
}
func (d *dripBody) Close() error { return nil }

func TestAttemptTimeoutHoldsUnderBackgroundContext(t *testing.T) {
	for _, drip := range []bool{false, true} {
		t.Run(fmt.Sprintf("drip=%v", drip), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				tr := &stallTransport{drip: drip}
				c := newClient(t, mockBase, &http.Client{Transport: tr}, func(cfg *core.Config) { cfg.Retry.AttemptTimeout = 0 })
				start := time.Now()
				var out map[string]any
				_, err := c.Do(context.Background(), getReq(), &out)
				elapsed := time.Since(start)
				var e *vipps.Error
				require.ErrorAs(t, err, &e)
				if drip {
					assert.Equal(t, 200, e.StatusCode, "the headers came; the body did not")
					assert.EqualValues(t, 1, tr.calls.Load())
					assert.Equal(t, 30*time.Second, elapsed.Round(time.Second), "the default attempt timeout covers the body read")
				} else {
					assert.Equal(t, 0, e.StatusCode)
					assert.EqualValues(t, 4, tr.calls.Load(), "each attempt timed out, and a GET is retried")
					assert.Less(t, elapsed, 4*30*time.Second+time.Second)
					assert.GreaterOrEqual(t, elapsed, 4*30*time.Second)
				}
			})
		})
	}
}

func TestHugeRetryAfterFailsFastWithRateLimit(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "99999999999999999999")
		writeProblem(w, 429, "rate-limited", "slow down")
	})
	c := newClient(t, s.URL, httpClient(t))
	_, err := c.Do(t.Context(), getReq(), nil)
	require.ErrorIs(t, err, vipps.ErrRateLimited)
	var e *vipps.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 1, e.Attempts, "too long to wait: no retry")
	assert.Greater(t, e.RetryAfter, 1000*time.Hour)
}

// --- 3. Every unknown outcome is resolvable ---

func TestUnknownOutcomesCarryTheIdempotencyKey(t *testing.T) {
	cut := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(201)
		_, _ = io.WriteString(w, `{"creationId":"3f`)
	}
	garbled := func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(201)
		_, _ = io.WriteString(w, `<html>proxy</html>`)
	}
	noAnswer := func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	}
	redirect := func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://elsewhere.example/x", http.StatusFound)
	}
	for name, h := range map[string]http.HandlerFunc{"cut 2xx": cut, "garbled 2xx": garbled, "no answer": noAnswer, "3xx": redirect} {
		t.Run(name, func(t *testing.T) {
			s := newServer(t, h)
			c := newClient(t, s.URL, noKeepAlive(t))
			var out struct{ CreationID string }
			_, err := c.Do(t.Context(), postReq(), &out)
			var e *vipps.Error
			require.ErrorAs(t, err, &e)
			require.NotEmpty(t, e.IdempotencyKey)
			assert.Contains(t, e.Error(), e.IdempotencyKey, "the text says how to resolve it")
			reqs := s.apiRequests()
			require.Len(t, reqs, e.Attempts, "every attempt reached the server")
			for _, r := range reqs {
				assert.Equal(t, e.IdempotencyKey, r.Header.Get("Idempotency-Key"))
			}
		})
	}
}

func TestStepIdempotencyKey(t *testing.T) {
	ctx := t.Context()
	assert.Equal(t, ctx, core.StepIdempotencyKey(ctx, "a"), "no caller's key: each call generates its own")
	short := core.WithIdempotencyKey(ctx, "job-1")
	assert.Equal(t, "job-1-a", core.IdempotencyKeyFrom(core.StepIdempotencyKey(short, "a")))
	long := core.WithIdempotencyKey(ctx, core.NewIdempotencyKey())
	k1 := core.IdempotencyKeyFrom(core.StepIdempotencyKey(long, "regenerate-subscriptionKeyPrimary"))
	k2 := core.IdempotencyKeyFrom(core.StepIdempotencyKey(long, "regenerate-subscriptionKeySecondary"))
	require.NoError(t, core.CheckIdempotencyKey(k1))
	assert.NotEqual(t, k1, k2, "each step its own key")
	assert.Equal(t, k1, core.IdempotencyKeyFrom(core.StepIdempotencyKey(long, "regenerate-subscriptionKeyPrimary")), "deterministic")
}

// --- 4. The caller's resources stay the caller's ---

type idleCounter struct {
	http.RoundTripper
	closes atomic.Int32
}

func (i *idleCounter) CloseIdleConnections() { i.closes.Add(1) }

func TestCallersIdleConnectionsAreNeverClosed(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { writeProblem(w, 503, "unavailable", "down") })
	tr := &idleCounter{RoundTripper: httpClient(t).Transport}
	given := &http.Client{Transport: tr}
	c := newClient(t, s.URL, given)
	_, err := c.Do(t.Context(), getReq(), nil)
	require.ErrorIs(t, err, vipps.ErrServer)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = c.Do(ctx, getReq(), nil)
	require.ErrorIs(t, err, context.Canceled)
	require.NoError(t, c.Close())
	assert.Zero(t, tr.closes.Load(), "retries running out (or Close) never flush the caller's pool")
	assert.Same(t, tr, given.Transport)
}

// --- 6. Redaction of every form ---

// Secrets with characters that every encoding changes.
const (
	oddSecret = `cs/SECRET+9d 8e"7f\6a`
	oddSubKey = `sk&SUB=KEY?0a/1b`
)

func echoForms(v string) []string {
	j, _ := jsonString(v)
	var u strings.Builder
	for _, r := range v {
		fmt.Fprintf(&u, `\u%04X`, r)
	}
	mixed := v[:len(v)/2] + url.QueryEscape(v[len(v)/2:])
	lowerHex := regexp.MustCompile(`%[0-9A-F]{2}`).ReplaceAllStringFunc(url.QueryEscape(v), strings.ToLower)
	return []string{v, url.QueryEscape(v), url.PathEscape(v), lowerHex, j, u.String(), mixed}
}

func jsonString(v string) (string, error) {
	var b bytes.Buffer
	enc := newJSONEncoder(&b)
	err := enc.Encode(v)
	return strings.Trim(strings.TrimSpace(b.String()), `"`), err
}

func TestSecretsRedactedInEveryForm(t *testing.T) {
	var forms []string
	for _, v := range []string{oddSecret, oddSubKey} {
		forms = append(forms, echoForms(v)...)
	}
	echo := strings.Join(forms, " | ")
	check := func(t *testing.T, text string) {
		t.Helper()
		for _, f := range forms {
			assert.NotContains(t, text, f)
		}
		for _, piece := range []string{"SECRET", "SUB=KEY", "SUB%3DKEY"} {
			assert.NotContains(t, text, piece)
		}
	}
	withOdd := func(cfg *core.Config) {
		cfg.Credentials.ClientSecret = oddSecret
		cfg.Credentials.SubscriptionKey = oddSubKey
	}
	cases := map[string]http.HandlerFunc{
		"snippet": func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(400); _, _ = io.WriteString(w, echo) },
		"problem detail": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(400)
			_, _ = fmt.Fprintf(w, `{"type":"x/invalid-request","title":"t","status":400,"detail":"%s"}`, strings.ReplaceAll(strings.ReplaceAll(echo, `\`, `\\`), `"`, `\"`))
		},
		"location": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Location", "https://"+url.PathEscape(oddSecret)+".example/?k="+url.QueryEscape(oddSubKey))
			w.WriteHeader(302)
		},
		"date field": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = fmt.Fprintf(w, `{"created":"%s"}`, strings.ReplaceAll(strings.ReplaceAll(oddSecret, `\`, `\\`), `"`, `\"`))
		},
		"retry-after": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", oddSubKey)
			w.WriteHeader(503)
		},
	}
	for name, h := range cases {
		t.Run(name, func(t *testing.T) {
			var logs bytes.Buffer
			s := newServer(t, h)
			c := newClient(t, s.URL, httpClient(t), withOdd, func(cfg *core.Config) {
				cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
				cfg.Retry.MaxAttempts = 2
			})
			var out struct{ Created time.Time }
			_, err := c.Do(t.Context(), getReq(), &out)
			require.Error(t, err)
			check(t, err.Error())
			check(t, fmt.Sprintf("%+v %#v", err, err))
			check(t, logs.String())
		})
	}
	t.Run("token expires_in", func(t *testing.T) {
		s := newServer(t, nil)
		s.tokenFor = func(int32) (int, string) {
			return 200, fmt.Sprintf(`{"access_token":"tok-abcdef","expires_in":%q}`, oddSecret)
		}
		c := newClient(t, s.URL, httpClient(t), withOdd)
		_, err := c.Token(t.Context(), core.GroupManagement)
		require.Error(t, err)
		check(t, err.Error())
		assert.NotContains(t, err.Error(), "tok-abcdef")
	})
}

// --- 7. Bad input ---

func TestNewRefusesBadURLsAndValues(t *testing.T) {
	base := core.Config{BaseURL: mockBase, Credentials: testCreds()}
	for field, mod := range map[string][]func(*core.Config){
		"BaseURL": {
			func(c *core.Config) { c.BaseURL = "" },
			func(c *core.Config) { c.BaseURL = "https://host?" },
			func(c *core.Config) { c.BaseURL = "https://host#" },
			func(c *core.Config) { c.BaseURL = "https://host:65536" },
			func(c *core.Config) { c.BaseURL = "https://host:99999" },
			func(c *core.Config) { c.BaseURL = "https://host:0" },
			func(c *core.Config) { c.BaseURL = "https://host:" },
			func(c *core.Config) { c.BaseURL = "https://:443" },
			func(c *core.Config) { c.BaseURL = "https://user:pw@host" },
			func(c *core.Config) { c.BaseURL = "https://host?a=b" },
			func(c *core.Config) { c.BaseURL = "https://host/#frag" },
			func(c *core.Config) { c.BaseURL = "https://ho st" },
		},
		"PortalURL": {func(c *core.Config) { c.PortalURL = "https://host:70000" }},
		"Credentials.ClientID": {
			func(c *core.Config) { c.Credentials.ClientID = "id\r\nX-Evil: 1" },
			func(c *core.Config) { c.Credentials.ClientID = "id\x00" },
		},
		"Credentials.ClientSecret":    {func(c *core.Config) { c.Credentials.ClientSecret = "s\ne" }},
		"Credentials.SubscriptionKey": {func(c *core.Config) { c.Credentials.SubscriptionKey = "k\x7f" }},
		"Credentials.MSN":             {func(c *core.Config) { c.Credentials.MSN = "12\r\n34" }},
		"System.Name":                 {func(c *core.Config) { c.System.Name = "acme\x01" }},
		"System.PluginVersion":        {func(c *core.Config) { c.System.PluginVersion = "1\t\x1b" }},
	} {
		for i, m := range mod {
			cfg := base
			m(&cfg)
			_, err := core.New(cfg)
			var ve *vipps.ValidationError
			if assert.ErrorAs(t, err, &ve, "%s #%d", field, i) {
				assert.Equal(t, field, ve.Field, "%s #%d", field, i)
			}
		}
	}
	for _, ok := range []string{"https://host", "https://host:443/", "http://127.0.0.1:8080", "https://[::1]:8443"} {
		cfg := base
		cfg.BaseURL = ok
		_, err := core.New(cfg)
		assert.NoError(t, err, ok)
	}
}

func TestNilContextAndNilClientAreErrors(t *testing.T) {
	mock, _ := newMock(t)
	c := newClient(t, mockBase, &http.Client{Transport: mock})
	var nilCtx context.Context
	_, err := c.Do(nilCtx, getReq(), nil)
	assert.ErrorIs(t, err, vipps.ErrInvalidInput)
	_, err = c.Token(nilCtx, core.GroupManagement)
	assert.ErrorIs(t, err, vipps.ErrInvalidInput)
	_, err = c.FetchToken(nilCtx, testCreds(), mockBase)
	assert.ErrorIs(t, err, vipps.ErrInvalidInput)
	var none *core.Client
	_, err = none.Do(t.Context(), getReq(), nil)
	assert.ErrorIs(t, err, vipps.ErrUnsupported)
	assert.Zero(t, mock.GetTotalCallCount())
}

func TestCheckSegment(t *testing.T) {
	for _, bad := range []string{"", ".", "..", "a/b", `a\b`, "a\r\nb", "a\x00b", "a\x7fb", "\xff", "a%2Fb", "..%2F..%2Fmanagement", "%2E%2E", "100%"} {
		assert.ErrorIs(t, core.CheckSegment("userID", bad), vipps.ErrInvalidInput, "%q", bad)
	}
	for _, good := range []string{"u1", "ada.lovelace", "..a", "a b", "øyvind", "business:NO:ORG"} {
		assert.NoError(t, core.CheckSegment("userID", good), "%q", good)
	}
}

func newJSONEncoder(w io.Writer) interface{ Encode(any) error } { return json.NewEncoder(w) }
