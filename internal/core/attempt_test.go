package core_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/internal/core"
	"github.com/vippsportal/sdk/vipps"
)

// stallThenAnswer stalls its first `stalls` API requests until their context
// ends, then answers body.
type stallThenAnswer struct {
	stalls int32
	body   string
	calls  atomic.Int32
}

func (s *stallThenAnswer) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == "/accesstoken/get" {
		return jsonAnswer(r, 200, tokenJSON(testAccessToken, 3600)), nil
	}
	if s.calls.Add(1) <= s.stalls {
		<-r.Context().Done()
		return nil, r.Context().Err()
	}
	return jsonAnswer(r, 200, s.body), nil
}

func jsonAnswer(r *http.Request, code int, body string) *http.Response {
	return &http.Response{StatusCode: code, Header: http.Header{"Content-Type": {"application/json"}}, Request: r,
		ContentLength: int64(len(body)), Body: io.NopCloser(strings.NewReader(body))}
}

// The first attempt runs on the request's own context (no copy of the
// request); when it runs out of time, the next attempt still gets its full
// time and its answer is the call's.
func TestAttemptTimeoutThenAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := &stallThenAnswer{stalls: 1, body: `{"msn":"123456"}`}
		c := newClient(t, mockBase, &http.Client{Transport: tr}, func(cfg *core.Config) { cfg.Retry.AttemptTimeout = 10 * time.Second })
		start := time.Now()
		var out struct{ MSN string }
		res, err := c.Do(context.Background(), getReq(), &out)
		require.NoError(t, err)
		assert.Equal(t, "123456", out.MSN)
		assert.Equal(t, 2, res.Attempts)
		assert.EqualValues(t, 2, tr.calls.Load())
		elapsed := time.Since(start)
		assert.GreaterOrEqual(t, elapsed, 10*time.Second)
		assert.Less(t, elapsed, 10*time.Second+fastRetry.MaxBackoff+time.Millisecond, "the wait between attempts is the backoff, not another timeout")
	})
}

// A caller's deadline sooner than the attempt timeout bounds the attempt by
// itself: the call ends at the caller's deadline with the caller's error.
func TestCallersDeadlineBoundsTheAttempt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := &stallThenAnswer{stalls: 100}
		c := newClient(t, mockBase, &http.Client{Transport: tr})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		start := time.Now()
		_, err := c.Do(ctx, getReq(), nil)
		assert.Equal(t, 5*time.Second, time.Since(start))
		require.ErrorIs(t, err, context.DeadlineExceeded)
		var timeout *core.AttemptTimeoutError
		assert.False(t, errors.As(err, &timeout), "the caller's deadline, not the attempt's: %v", err)
		assert.EqualValues(t, 1, tr.calls.Load())
	})
}

// A caller's cancellation (no deadline) ends the attempt in flight at once.
func TestCallersCancelEndsTheAttemptInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := &stallThenAnswer{stalls: 100}
		c := newClient(t, mockBase, &http.Client{Transport: tr})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		time.AfterFunc(2*time.Second, cancel)
		start := time.Now()
		_, err := c.Do(ctx, getReq(), nil)
		assert.Equal(t, 2*time.Second, time.Since(start))
		require.ErrorIs(t, err, context.Canceled)
		assert.EqualValues(t, 1, tr.calls.Load())
	})
}

// oneByte hands out its body one byte per Read.
type oneByte struct{ r io.Reader }

func (o oneByte) Read(p []byte) (int, error) { return o.r.Read(p[:1]) }
func (oneByte) Close() error                 { return nil }

func TestAnswerDecoding(t *testing.T) {
	big := `{"name":"` + strings.Repeat("x", 100<<10) + `"}`
	for _, tc := range []struct {
		name, body string
		slow       bool
		want       string // "" for success
	}{
		{name: "plain", body: `{"name":"a"}`},
		{name: "trailing whitespace", body: "{\"name\":\"a\"}\n"},
		{name: "read one byte at a time", body: `{"name":"a"}`, slow: true},
		{name: "larger than the pooled buffer", body: big},
		{name: "larger than the pooled buffer, slowly", body: big, slow: true},
		{name: "anything after the value is garbled", body: `{"name":"a"}{"name":"b"}`, want: "after top-level value"},
		{name: "not JSON", body: `<html>`, want: "decoding the answer"},
		{name: "empty", body: ``, want: "decoding the answer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, mockBase, &http.Client{Transport: apiOnly(func(r *http.Request) (*http.Response, error) {
				resp := jsonAnswer(r, 200, tc.body)
				if tc.slow {
					resp.Body = oneByte{strings.NewReader(tc.body)}
				}
				return resp, nil
			})})
			var out struct{ Name string }
			_, err := c.Do(context.Background(), getReq(), &out)
			if tc.want != "" {
				var e *vipps.Error
				require.ErrorAs(t, err, &e)
				assert.Equal(t, 200, e.StatusCode)
				assert.Contains(t, err.Error(), tc.want)
				return
			}
			require.NoError(t, err)
			var want struct{ Name string }
			require.NoError(t, json.Unmarshal([]byte(tc.body), &want))
			assert.Equal(t, want.Name, out.Name)
		})
	}
}

// An answer over MaxResponseBody is refused, not cut and decoded.
func TestAnswerOverTheLimitRefused(t *testing.T) {
	body := `{"name":"` + strings.Repeat("x", core.MaxResponseBody) + `"}`
	c := newClient(t, mockBase, &http.Client{Transport: apiOnly(func(r *http.Request) (*http.Response, error) {
		return jsonAnswer(r, 200, body), nil
	})})
	var out struct{ Name string }
	_, err := c.Do(context.Background(), getReq(), &out)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "larger than")
	assert.Empty(t, out.Name)
}

// Answers are read into reused buffers: what one call decoded (raw JSON
// included) must not change when the next call reuses the buffer.
func TestDecodedAnswersDoNotShareBuffers(t *testing.T) {
	var n atomic.Int32
	c := newClient(t, mockBase, &http.Client{Transport: apiOnly(func(r *http.Request) (*http.Response, error) {
		if n.Add(1) == 1 {
			return jsonAnswer(r, 200, `{"raw":{"a":"first"},"name":"first"}`), nil
		}
		return jsonAnswer(r, 200, `{"raw":{"b":"SECOND"},"name":"SECOND"}`), nil
	})})
	type answer struct {
		Raw  json.RawMessage
		Name string
	}
	var first, second answer
	_, err := c.Do(context.Background(), getReq(), &first)
	require.NoError(t, err)
	for range 10 {
		_, err = c.Do(context.Background(), getReq(), &second)
		require.NoError(t, err)
	}
	assert.JSONEq(t, `{"a":"first"}`, string(first.Raw))
	assert.Equal(t, "first", first.Name)
	assert.Equal(t, "SECOND", second.Name)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Each of many overlapping attempts ends at its own deadline, whichever
// others answered or ended in between.
func TestEachAttemptEndsOnTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const calls = 24
		c := newClient(t, mockBase, &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.URL.Path == "/accesstoken/get" {
				return jsonAnswer(r, 200, tokenJSON(testAccessToken, 3600)), nil
			}
			if i := r.URL.Query().Get("i"); i[len(i)-1]%2 == 0 { // an even call never answers
				<-r.Context().Done()
				return nil, r.Context().Err()
			}
			time.Sleep(300 * time.Millisecond) // an odd one answers before its time is up
			return jsonAnswer(r, 200, `{}`), nil
		})}, func(cfg *core.Config) {
			cfg.Retry.AttemptTimeout, cfg.Retry.MaxAttempts = time.Second, 1
		})
		_, err := c.Token(context.Background(), core.GroupManagement)
		require.NoError(t, err)
		type result struct {
			elapsed time.Duration
			err     error
		}
		results := make([]result, calls)
		var wg sync.WaitGroup
		for i := range calls {
			time.Sleep(70 * time.Millisecond) // overlapping: a new call every 70 ms
			wg.Go(func() {
				start := time.Now()
				req := getReq()
				req.Query = url.Values{"i": {strconv.Itoa(i)}}
				_, err := c.Do(context.Background(), req, nil)
				results[i] = result{time.Since(start), err}
			})
		}
		wg.Wait()
		for i, r := range results {
			if i%2 == 1 {
				assert.NoError(t, r.err, "call %d", i)
				assert.Equal(t, 300*time.Millisecond, r.elapsed, "call %d", i)
				continue
			}
			var timeout *core.AttemptTimeoutError
			assert.ErrorAs(t, r.err, &timeout, "call %d", i)
			assert.Equal(t, time.Second, r.elapsed, "call %d ended at its own deadline", i)
		}
	})
}

// Headers are set as the first attempt leaves; a retry sends the same map and
// writes nothing to it, so a transport still reading the last attempt's
// headers (as net/http's write loop may) races with nothing (run with -race).
func TestRetryLeavesHeadersAlone(t *testing.T) {
	stop := make(chan struct{})
	var readers sync.WaitGroup
	defer func() { close(stop); readers.Wait() }()
	var calls atomic.Int32
	var seen []http.Header
	var mu sync.Mutex
	c := newClient(t, mockBase, &http.Client{Transport: apiOnly(func(r *http.Request) (*http.Response, error) {
		h := r.Header
		readers.Go(func() { // reads the headers on after the answer
			for {
				select {
				case <-stop:
					return
				default:
					for k, v := range h {
						_, _ = k, len(v)
					}
				}
			}
		})
		mu.Lock()
		seen = append(seen, r.Header.Clone())
		mu.Unlock()
		if calls.Add(1) < 3 {
			return jsonAnswer(r, 503, `{"title":"busy","status":503}`), nil
		}
		return jsonAnswer(r, 201, `{}`), nil
	})})
	_, err := c.Do(context.Background(), postReq(), nil)
	require.NoError(t, err)
	require.Len(t, seen, 3)
	for _, h := range seen {
		assert.Equal(t, seen[0], h, "every attempt carries the same headers")
	}
	assert.Equal(t, "Bearer "+testAccessToken, seen[0].Get("Authorization"))
	assert.Equal(t, testSubKey, seen[0].Get("Ocp-Apim-Subscription-Key"))
	assert.NotEmpty(t, seen[0].Get("Idempotency-Key"))
}

// An attempt's context ends as soon as its answer is read to the end or
// closed, so no timer outlives the attempt; a retry's attempt gets a context
// (and a full timeout) of its own.
func TestAttemptContextEndsWithItsAnswer(t *testing.T) {
	var mu sync.Mutex
	var seen []context.Context
	var calls atomic.Int32
	c := newClient(t, mockBase, &http.Client{Transport: apiOnly(func(r *http.Request) (*http.Response, error) {
		mu.Lock()
		seen = append(seen, r.Context())
		mu.Unlock()
		if _, ok := r.Context().Deadline(); !ok {
			t.Error("an attempt without a deadline")
		}
		if r.Context().Err() != nil {
			t.Error("an attempt begun on an ended context")
		}
		if calls.Add(1) == 1 {
			return jsonAnswer(r, 503, `{"title":"busy","status":503}`), nil
		}
		return jsonAnswer(r, 200, `{"id":"t1"}`), nil
	})})
	var out thing
	res, err := c.Do(context.Background(), getReq(), &out)
	require.NoError(t, err)
	assert.Equal(t, 2, res.Attempts)
	require.Len(t, seen, 2)
	assert.NotSame(t, seen[0], seen[1], "each attempt its own context")
	for i, ctx := range seen {
		assert.ErrorIs(t, ctx.Err(), context.Canceled, "attempt %d: its context ended with its answer", i+1)
	}
}

// stallWhenAsked answers every request at once, except those whose query
// has stall=1: they wait for their context to end.
var stallWhenAsked = apiOnly(func(r *http.Request) (*http.Response, error) {
	if r.URL.Query().Get("stall") == "1" {
		<-r.Context().Done()
		return nil, r.Context().Err()
	}
	return jsonAnswer(r, 200, `{"id":"t1"}`), nil
})

// A client works inside testing/synctest bubbles whether it was made inside
// one or outside all of them (and used in several): the timer of an attempt
// is made by its call, in the call's bubble.
func TestClientInsideSynctestBubbles(t *testing.T) {
	withTimeout := func(cfg *core.Config) { cfg.Retry.AttemptTimeout, cfg.Retry.MaxAttempts = 10*time.Second, 1 }
	check := func(t *testing.T, c *core.Client) {
		t.Helper()
		start := time.Now()
		stall := getReq()
		stall.Query = url.Values{"stall": {"1"}}
		_, err := c.Do(context.Background(), stall, nil)
		var timeout *core.AttemptTimeoutError
		require.ErrorAs(t, err, &timeout)
		assert.Equal(t, 10*time.Second, time.Since(start), "ended by the attempt timeout, on the bubble's clock")
		var out thing
		_, err = c.Do(context.Background(), getReq(), &out)
		require.NoError(t, err)
		assert.Equal(t, "t1", out.ID)
	}
	shared := newClient(t, mockBase, &http.Client{Transport: stallWhenAsked}, withTimeout)
	for range 2 {
		synctest.Test(t, func(t *testing.T) { check(t, shared) })
	}
	synctest.Test(t, func(t *testing.T) {
		check(t, newClient(t, mockBase, &http.Client{Transport: stallWhenAsked}, withTimeout))
	})
}

// With a client given a Timeout of its own (which gives each request a
// context of its own), the attempt timeout bounds each attempt all the same,
// and the shorter of the two wins.
func TestAttemptTimeoutWithTheCallersClientTimeout(t *testing.T) {
	for _, tc := range []struct{ clientTimeout, want time.Duration }{
		{time.Hour, 10 * time.Second},
		{5 * time.Second, 5 * time.Second},
	} {
		synctest.Test(t, func(t *testing.T) {
			var seen atomic.Pointer[context.Context]
			c := newClient(t, mockBase, &http.Client{Timeout: tc.clientTimeout, Transport: apiOnly(func(r *http.Request) (*http.Response, error) {
				ctx := r.Context()
				seen.Store(&ctx)
				if r.URL.Query().Get("stall") == "1" {
					<-ctx.Done()
					return nil, ctx.Err()
				}
				return jsonAnswer(r, 200, `{}`), nil
			})}, func(cfg *core.Config) { cfg.Retry.AttemptTimeout, cfg.Retry.MaxAttempts = 10*time.Second, 1 })
			_, err := c.Do(context.Background(), getReq(), nil)
			require.NoError(t, err)
			assert.Error(t, (*seen.Load()).Err(), "the attempt's context ended with its answer")
			start := time.Now()
			stall := getReq()
			stall.Query = url.Values{"stall": {"1"}}
			_, err = c.Do(context.Background(), stall, nil)
			require.Error(t, err)
			assert.Equal(t, tc.want, time.Since(start))
		})
	}
}
