package perf

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/vipps"
)

// lazyListing answers the token endpoint and pages of n test units, each page
// built when asked for (nothing of it is kept), in memory: the heap the walk
// holds is the SDK's alone. Its tokens are 120 characters, opaque like the
// simulator's, so a guard that kept every token would show.
type lazyListing struct{ n int }

const tokenPad = "opaque-page-token-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abc-"

func (l lazyListing) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_ = r.Body.Close()
	}
	var body []byte
	switch {
	case r.URL.Path == "/accesstoken/get":
		body = fmt.Appendf(nil, `{"token_type":"Bearer","expires_in":"3600","ext_expires_in":"0","expires_on":"%d","not_before":"0","resource":"perf","access_token":"perf-token"}`,
			time.Now().Unix()+3600)
	case r.URL.Path == "/portal/v1/test-sales-units":
		from := 0
		if tok := r.URL.Query().Get("pageToken"); tok != "" {
			from, _ = strconv.Atoi(strings.TrimPrefix(tok, tokenPad))
		}
		var b strings.Builder
		b.WriteString(`{"items":[`)
		end := min(l.n, from+pageSize)
		for i := from; i < end; i++ {
			if i > from {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"msn":"%d","name":"Test unit %d","businessIdentifier":{"scheme":"business:NO:ORG","id":"987654325"},`+
				`"options":{"skipLandingPage":true,"recurring":false,"directCapture":true},`+
				`"configuration":{"paymentAllowed":true,"captureType":"DirectCapture"},`+
				`"createdAt":"2026-01-02T03:04:05Z","completedAt":"2026-01-02T03:05:05Z","keysReady":true}`, 500000+i, i)
		}
		b.WriteString(`]`)
		if end < l.n {
			fmt.Fprintf(&b, `,"nextPageToken":"%s%d"`, tokenPad, end)
		}
		b.WriteString(`}`)
		body = []byte(b.String())
	default:
		return &http.Response{StatusCode: http.StatusNotFound, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
	}
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)), Request: r}, nil
}

// retainedDuringWalk walks n test units with TestUnits.All and returns the most
// live heap (after a GC, every tenth page) above what was live before.
func retainedDuringWalk(t *testing.T, n int) (peak uint64) {
	t.Helper()
	c, err := portal.New(
		portal.WithCredentials(vipps.Credentials{ClientID: clientID, ClientSecret: vipps.Secret(clientSecret),
			SubscriptionKey: vipps.Secret(subscriptionKey), MSN: credsMSN}),
		portal.WithBaseURL("https://perf.invalid"), portal.WithPortalURL("https://perf.invalid"),
		portal.WithHTTPClient(&http.Client{Transport: lazyListing{n: n}}))
	require.NoError(t, err)
	ctx := context.Background()
	_, err = c.TestUnits.List(ctx, &vipps.ListOptions{PageSize: pageSize}) // the token, cached
	require.NoError(t, err)

	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	seen := 0
	for u, err := range c.TestUnits.All(ctx, &vipps.ListOptions{PageSize: pageSize}) {
		require.NoError(t, err)
		if u.MSN == "" {
			t.Fatal("a unit without msn")
		}
		seen++
		if seen%(10*pageSize) == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > base {
				peak = max(peak, ms.HeapAlloc-base)
			}
		}
	}
	require.Equal(t, n, seen)
	return peak
}

// TestAllMemoryIsFlat shows that All walks in constant memory: what it holds
// while walking 100,000 units (1,000 pages) is what it holds for 10,000 (100
// pages). A walk that kept the units would hold some 60 MB more; one that kept
// every page token (the old repeat guard) some 200 KB more.
func TestAllMemoryIsFlat(t *testing.T) {
	small := retainedDuringWalk(t, 10_000)
	large := retainedDuringWalk(t, 100_000)
	t.Logf("live heap held while walking: 10,000 units %d B, 100,000 units %d B", small, large)
	assert.Less(t, large, small+64<<10, "walking 10x the units must hold about the same memory")
	assert.Less(t, large, uint64(1<<20), "a lazy walk holds about one page")
}
