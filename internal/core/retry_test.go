package core_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
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

type thing struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// failThen answers code to the first n API requests, then 200 with a thing.
func failThen(code, n int, body string) http.HandlerFunc {
	var calls atomic.Int32
	return func(w http.ResponseWriter, r *http.Request) {
		if int(calls.Add(1)) <= n {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(code)
			_, _ = io.WriteString(w, body)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"t1","name":"ok"}`)
	}
}

func TestRetriedStatuses(t *testing.T) {
	for _, code := range []int{408, 429, 500, 502, 503, 504} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			s := newServer(t, failThen(code, 2, `{"statusCode":0}`))
			c := newClient(t, s.URL, httpClient(t))
			var out thing
			resp, err := c.Do(t.Context(), getReq(), &out)
			require.NoError(t, err)
			assert.Equal(t, 200, resp.StatusCode)
			assert.Equal(t, 3, resp.Attempts)
			assert.EqualValues(t, 3, s.api.Load(), "two failures and one success reach the server")
			assert.EqualValues(t, 1, s.tokens.Load())
			assert.Equal(t, thing{ID: "t1", Name: "ok"}, out)
		})
	}
}

func TestNotRetriedStatuses(t *testing.T) {
	for _, code := range []int{400, 401, 403, 404, 409, 501} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			// A 401 here is the gateway's shape, which must not cause a token refresh either.
			s := newServer(t, failThen(code, 100, `{"statusCode":`+fmt.Sprint(code)+`,"message":"nope"}`))
			c := newClient(t, s.URL, httpClient(t))
			_, err := c.Do(t.Context(), getReq(), nil)
			var apiErr *vipps.Error
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, code, apiErr.StatusCode)
			assert.Equal(t, 1, apiErr.Attempts)
			assert.EqualValues(t, 1, s.api.Load(), "exactly one attempt for %d", code)
			assert.EqualValues(t, 1, s.tokens.Load())
		})
	}
}

// hijackFirst drops the connection of the first n API requests without an answer.
func hijackFirst(n int32, then http.HandlerFunc) http.HandlerFunc {
	var calls atomic.Int32
	return func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= n {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close()
			}
			return
		}
		then(w, r)
	}
}

func TestRetryOnResetConnection(t *testing.T) {
	s := newServer(t, hijackFirst(1, failThen(0, 0, "")))
	c := newClient(t, s.URL, noKeepAlive(t))
	var out thing
	resp, err := c.Do(t.Context(), getReq(), &out)
	require.NoError(t, err)
	assert.Equal(t, 2, resp.Attempts)
	assert.EqualValues(t, 2, s.api.Load())
	assert.Equal(t, "t1", out.ID)
}

func TestPlainPostNotRetried(t *testing.T) {
	t.Run("status", func(t *testing.T) {
		s := newServer(t, failThen(503, 100, `{}`))
		c := newClient(t, s.URL, httpClient(t))
		_, err := c.Do(t.Context(), &core.Request{Group: core.GroupPortal, Operation: "op", Method: http.MethodPost, Path: "/portal/v1/x", Body: map[string]string{"a": "b"}}, nil)
		require.ErrorIs(t, err, vipps.ErrServer)
		assert.EqualValues(t, 1, s.api.Load())
		assert.Empty(t, s.apiRequests()[0].Header.Get("Idempotency-Key"))
	})
	t.Run("reset", func(t *testing.T) {
		s := newServer(t, hijackFirst(1, failThen(0, 0, "")))
		c := newClient(t, s.URL, noKeepAlive(t))
		_, err := c.Do(t.Context(), &core.Request{Group: core.GroupPortal, Operation: "op", Method: http.MethodPost, Path: "/portal/v1/x", Body: map[string]string{"a": "b"}}, nil)
		require.ErrorIs(t, err, vipps.ErrTransport)
		assert.EqualValues(t, 1, s.api.Load())
	})
}

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func idemPost() *core.Request {
	return &core.Request{Group: core.GroupPortal, Operation: "createThing", Method: http.MethodPost,
		Path: "/portal/v1/things", Body: map[string]string{"name": "x"}, Idempotent: true}
}

func TestIdempotentPostRetriedWithSameKey(t *testing.T) {
	s := newServer(t, failThen(503, 2, `{}`))
	c := newClient(t, s.URL, httpClient(t))
	resp, err := c.Do(t.Context(), idemPost(), nil)
	require.NoError(t, err)
	assert.Equal(t, 3, resp.Attempts)
	reqs := s.apiRequests()
	require.Len(t, reqs, 3)
	key := reqs[0].Header.Get("Idempotency-Key")
	assert.Regexp(t, uuidV4, key)
	for _, r := range reqs {
		assert.Equal(t, key, r.Header.Get("Idempotency-Key"), "every attempt carries the same key")
		assert.JSONEq(t, `{"name":"x"}`, r.Body, "the body is resent whole")
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
	}
	// The token request is a POST but never carries one.
	tokenRequests := 0
	for _, r := range s.requests() {
		if r.Path == "/accesstoken/get" {
			assert.Empty(t, r.Header.Get("Idempotency-Key"))
			tokenRequests++
		}
	}
	assert.Equal(t, 1, tokenRequests)

	// A second logical call gets a new key.
	_, err = c.Do(t.Context(), idemPost(), nil)
	require.NoError(t, err)
	reqs = s.apiRequests()
	assert.NotEqual(t, key, reqs[len(reqs)-1].Header.Get("Idempotency-Key"))
}

func TestCallerIdempotencyKey(t *testing.T) {
	s := newServer(t, failThen(502, 1, `{}`))
	c := newClient(t, s.URL, httpClient(t))
	ctx := core.WithIdempotencyKey(t.Context(), "order-2026-0001")
	_, err := c.Do(ctx, idemPost(), nil)
	require.NoError(t, err)
	reqs := s.apiRequests()
	require.Len(t, reqs, 2)
	for _, r := range reqs {
		assert.Equal(t, "order-2026-0001", r.Header.Get("Idempotency-Key"))
	}
}

func TestMalformedCallerKeyRefusedBeforeSending(t *testing.T) {
	for _, key := range []string{"has space", "ünïcode", "semi;colon", "x\r\nInjected: 1", string(make([]byte, 51))} {
		s := newServer(t, failThen(0, 0, ""))
		c := newClient(t, s.URL, httpClient(t))
		_, err := c.Do(core.WithIdempotencyKey(t.Context(), key), idemPost(), nil)
		var ve *vipps.ValidationError
		require.ErrorAs(t, err, &ve, "key %q", key)
		assert.ErrorIs(t, err, vipps.ErrInvalidInput)
		assert.Equal(t, "Idempotency-Key", ve.Field)
		assert.Empty(t, s.requests(), "nothing sent, not even a token request")
	}
}

// inBubble runs f inside a synctest bubble with a client on an httpmock transport.
func inBubble(t *testing.T, f func(t *testing.T, mock *httpmock.MockTransport, c *core.Client)) {
	synctest.Test(t, func(t *testing.T) {
		mock, _ := newMock(t)
		c := newClient(t, mockBase, &http.Client{Transport: mock})
		f(t, mock, c)
	})
}

func TestRetryAfterSeconds(t *testing.T) {
	inBubble(t, func(t *testing.T, mock *httpmock.MockTransport, c *core.Client) {
		var calls atomic.Int32
		mock.RegisterResponder("GET", mockBase+"/management/v1/things/1", seq(&calls,
			status(429, `{"type":"https://x/problems/rate-limited","title":"Too Many Requests","status":429}`, "Retry-After", "7"),
			status(200, `{"id":"t1"}`)))
		start := time.Now()
		resp, err := c.Do(t.Context(), getReq(), nil)
		require.NoError(t, err)
		assert.Equal(t, 7*time.Second, time.Since(start), "waited exactly Retry-After")
		assert.Equal(t, 2, resp.Attempts)
		assert.EqualValues(t, 2, calls.Load())
	})
}

func TestRetryAfterHTTPDate(t *testing.T) {
	inBubble(t, func(t *testing.T, mock *httpmock.MockTransport, c *core.Client) {
		var calls atomic.Int32
		mock.RegisterResponder("GET", mockBase+"/management/v1/things/1", seq(&calls,
			func(r *http.Request) (*http.Response, error) {
				return status(503, `busy`, "Retry-After", time.Now().Add(12*time.Second).UTC().Format(http.TimeFormat))(r)
			},
			status(200, `{"id":"t1"}`)))
		start := time.Now()
		_, err := c.Do(t.Context(), getReq(), nil)
		require.NoError(t, err)
		assert.Equal(t, 12*time.Second, time.Since(start))
		assert.EqualValues(t, 2, calls.Load())
	})
}

func TestRetryAfterClamped(t *testing.T) {
	cases := map[string]struct {
		header string
		ctx    func(context.Context) (context.Context, context.CancelFunc)
		want   time.Duration
	}{
		"over MaxRetryAfter":           {header: "31", ctx: func(c context.Context) (context.Context, context.CancelFunc) { return c, func() {} }, want: 31 * time.Second},
		"http-date over MaxRetryAfter": {header: "date+45s", ctx: func(c context.Context) (context.Context, context.CancelFunc) { return c, func() {} }, want: 45 * time.Second},
		"past the deadline": {header: "5", ctx: func(c context.Context) (context.Context, context.CancelFunc) {
			return context.WithTimeout(c, 4*time.Second)
		}, want: 5 * time.Second},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			inBubble(t, func(t *testing.T, mock *httpmock.MockTransport, c *core.Client) {
				var calls atomic.Int32
				mock.RegisterResponder("GET", mockBase+"/management/v1/things/1", seq(&calls, func(r *http.Request) (*http.Response, error) {
					h := tc.header
					if h == "date+45s" {
						h = time.Now().Add(45 * time.Second).UTC().Format(http.TimeFormat)
					}
					return status(429, `{"type":"https://x/problems/rate-limited","title":"Too Many Requests","status":429}`, "Retry-After", h)(r)
				}))
				ctx, cancel := tc.ctx(t.Context())
				defer cancel()
				start := time.Now()
				_, err := c.Do(ctx, getReq(), nil)
				assert.Zero(t, time.Since(start), "fails at once, no sleeping in vain")
				var apiErr *vipps.Error
				require.ErrorAs(t, err, &apiErr)
				assert.ErrorIs(t, err, vipps.ErrRateLimited)
				assert.Equal(t, 429, apiErr.StatusCode)
				assert.Equal(t, tc.want, apiErr.RetryAfter)
				assert.Equal(t, 1, apiErr.Attempts)
				assert.EqualValues(t, 1, calls.Load())
			})
		})
	}
}

// noDeadline hides its deadline, so the core cannot refuse the wait up front and
// must notice the context ending while it waits.
type noDeadline struct{ context.Context }

func (noDeadline) Deadline() (time.Time, bool) { return time.Time{}, false }

func TestWaitCancelledByContext(t *testing.T) {
	for name, mk := range map[string]func(context.Context) (context.Context, context.CancelFunc){
		"canceled": func(ctx context.Context) (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(ctx)
			time.AfterFunc(1500*time.Millisecond, cancel)
			return ctx, cancel
		},
		"deadline": func(ctx context.Context) (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
			return noDeadline{ctx}, cancel
		},
	} {
		t.Run(name, func(t *testing.T) {
			inBubble(t, func(t *testing.T, mock *httpmock.MockTransport, c *core.Client) {
				var calls atomic.Int32
				mock.RegisterResponder("GET", mockBase+"/management/v1/things/1", seq(&calls, status(503, "busy", "Retry-After", "20")))
				ctx, cancel := mk(t.Context())
				defer cancel()
				start := time.Now()
				_, err := c.Do(ctx, getReq(), nil)
				assert.Equal(t, 1500*time.Millisecond, time.Since(start), "returns as soon as the context ends")
				require.Error(t, err)
				assert.Equal(t, ctx.Err(), errors.Unwrap(err), "the context's own error")
				if name == "canceled" {
					assert.ErrorIs(t, err, context.Canceled)
				} else {
					assert.ErrorIs(t, err, context.DeadlineExceeded)
				}
				assert.EqualValues(t, 1, calls.Load())
			})
		})
	}
}

func TestDeleteNoAnswerThen404IsSuccess(t *testing.T) {
	del := &core.Request{Group: core.GroupPortal, Operation: "deleteThing", Method: http.MethodDelete, Path: "/portal/v1/things/1"}
	t.Run("no answer then 404", func(t *testing.T) {
		inBubble(t, func(t *testing.T, mock *httpmock.MockTransport, c *core.Client) {
			var calls atomic.Int32
			mock.RegisterResponder("DELETE", mockBase+"/portal/v1/things/1", seq(&calls, httpmock.ConnectionFailure,
				status(404, `{"type":"https://x/problems/not-found","title":"Not Found","status":404}`)))
			resp, err := c.Do(t.Context(), del, nil)
			require.NoError(t, err)
			assert.Equal(t, http.StatusNoContent, resp.StatusCode)
			assert.Equal(t, 2, resp.Attempts)
			assert.EqualValues(t, 2, calls.Load())
		})
	})
	t.Run("404 at once is not found", func(t *testing.T) {
		inBubble(t, func(t *testing.T, mock *httpmock.MockTransport, c *core.Client) {
			var calls atomic.Int32
			mock.RegisterResponder("DELETE", mockBase+"/portal/v1/things/1", seq(&calls,
				status(404, `{"type":"https://x/problems/not-found","title":"Not Found","status":404}`)))
			_, err := c.Do(t.Context(), del, nil)
			require.ErrorIs(t, err, vipps.ErrNotFound)
		})
	})
	t.Run("503 then 404 is not found", func(t *testing.T) {
		inBubble(t, func(t *testing.T, mock *httpmock.MockTransport, c *core.Client) {
			var calls atomic.Int32
			mock.RegisterResponder("DELETE", mockBase+"/portal/v1/things/1", seq(&calls, status(503, "busy"),
				status(404, `{"type":"https://x/problems/not-found","title":"Not Found","status":404}`)))
			_, err := c.Do(t.Context(), del, nil)
			require.ErrorIs(t, err, vipps.ErrNotFound, "an earlier answer proves the 404 is not our own work")
		})
	})
}

func TestLastErrorAfterLastAttempt(t *testing.T) {
	t.Run("status", func(t *testing.T) {
		inBubble(t, func(t *testing.T, mock *httpmock.MockTransport, c *core.Client) {
			var calls atomic.Int32
			mock.RegisterResponder("GET", mockBase+"/management/v1/things/1", seq(&calls,
				status(500, `{"type":"https://x/problems/internal","title":"Internal","status":500,"detail":"first"}`),
				status(503, `{"type":"https://x/problems/unavailable","title":"Unavailable","status":503,"detail":"last one"}`)))
			_, err := c.Do(t.Context(), getReq(), nil)
			var apiErr *vipps.Error
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, 503, apiErr.StatusCode)
			assert.Equal(t, vipps.ProblemUnavailable, apiErr.Problem)
			assert.Equal(t, "last one", apiErr.Detail)
			assert.Equal(t, 4, apiErr.Attempts)
			assert.EqualValues(t, 4, calls.Load())
			assert.NotContains(t, err.Error(), "giving up")
			assert.ErrorIs(t, err, vipps.ErrServer)
		})
	})
	t.Run("transport", func(t *testing.T) {
		inBubble(t, func(t *testing.T, mock *httpmock.MockTransport, c *core.Client) {
			var calls atomic.Int32
			mock.RegisterResponder("GET", mockBase+"/management/v1/things/1", seq(&calls, httpmock.ConnectionFailure))
			_, err := c.Do(t.Context(), getReq(), nil)
			var apiErr *vipps.Error
			require.ErrorAs(t, err, &apiErr)
			assert.Zero(t, apiErr.StatusCode)
			assert.ErrorIs(t, err, vipps.ErrTransport)
			assert.ErrorIs(t, err, httpmock.NoResponderFound, "the transport error is kept")
			assert.Equal(t, 4, apiErr.Attempts)
			assert.EqualValues(t, 4, calls.Load())
			assert.NotContains(t, err.Error(), "giving up")
		})
	})
}

func TestBackoffIsBoundedAndGrows(t *testing.T) {
	// Full jitter: each wait in [0, min(max, min*2^attempt)].
	for attempt := range 6 {
		ceiling := min(10*time.Millisecond<<attempt, 100*time.Millisecond)
		for range 200 {
			d := core.FullJitter(10*time.Millisecond, 100*time.Millisecond, attempt)
			require.GreaterOrEqual(t, d, time.Duration(0))
			require.LessOrEqual(t, d, ceiling)
		}
	}
	assert.Zero(t, core.FullJitter(0, 0, 3))
}
