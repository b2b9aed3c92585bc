package perf

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/vipps"
)

// memTransport answers in memory, with no network: what remains is the
// clients' own cost. Both halves of ClientOnlyGet share its shape.
type memTransport struct {
	unit, token []byte
	tokens      atomic.Int64
}

var jsonHeader = http.Header{"Content-Type": {"application/json"}}

func (m *memTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	body := m.unit
	if r.Method == http.MethodPost {
		m.tokens.Add(1)
		body = m.token
	}
	return &http.Response{StatusCode: http.StatusOK, Header: jsonHeader, ContentLength: int64(len(body)),
		Body: io.NopCloser(bytes.NewReader(body)), Request: r}, nil
}

func newMemTransport() *memTransport {
	return &memTransport{
		unit:  []byte(`{"msn":"123456","name":"Shop 7","businessIdentifier":{"scheme":"business:NO:ORG","id":"987654325"},"configuration":{"paymentAllowed":true,"captureType":"ReserveCapture","skipLandingPageAllowed":false,"recurringAllowed":true}}`),
		token: []byte(`{"token_type":"Bearer","expires_in":"3600","access_token":"eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.perf.token"}`),
	}
}

const memRoot = "https://api.vipps.test"

// BenchmarkClientOnlyGet: one authenticated GET of a sales unit through the
// public c.SalesUnits.Get (token cached, retries, headers, the attempt
// timeout, error decoding, the msn's lenient decoding) against the same
// request made with plain net/http and encoding/json, both over an in-memory
// transport, so the difference is the SDK's own cost where users pay it.
func BenchmarkClientOnlyGet(b *testing.B) {
	ctx := context.Background()
	const msn = credsMSN
	b.Run("sdk", func(b *testing.B) {
		mt := newMemTransport()
		c, err := portal.New(
			portal.WithCredentials(vipps.Credentials{ClientID: clientID, ClientSecret: vipps.Secret(clientSecret),
				SubscriptionKey: vipps.Secret(subscriptionKey), MSN: credsMSN}),
			portal.WithBaseURL(memRoot), portal.WithSystem("perf", "1.0.0", "", ""),
			portal.WithHTTPClient(&http.Client{Transport: mt}))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.SalesUnits.Get(ctx, msn); err != nil { // the token
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if u, err := c.SalesUnits.Get(ctx, msn); err != nil || u.MSN != msn {
				b.Fatal(u, err)
			}
		}
		if n := mt.tokens.Load(); n != 1 {
			b.Fatalf("%d token requests, want 1", n)
		}
	})
	b.Run("nethttp", func(b *testing.B) {
		mt := newMemTransport()
		bl := &baseline{hc: &http.Client{Transport: mt}, root: memRoot}
		token, err := bl.fetchToken(ctx)
		if err != nil {
			b.Fatal(err)
		}
		path := "/management/v1/sales-units/" + url.PathEscape(msn)
		b.ReportAllocs()
		for b.Loop() {
			var u salesUnit
			if err := bl.get(ctx, token, path, &u); err != nil || u.MSN != msn {
				b.Fatal(u, err)
			}
		}
		if n := mt.tokens.Load(); n != 1 {
			b.Fatalf("%d token requests, want 1", n)
		}
	})
}

// mutexCache is the 20-line token cache a careful user writes: one mutex held
// across the fetch, so concurrent first callers wait for one request.
type mutexCache struct {
	mu      sync.Mutex
	token   string
	expires time.Time
	fetch   func(ctx context.Context) (string, error)
}

func (m *mutexCache) get(ctx context.Context) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.token != "" && time.Now().Before(m.expires) {
		return m.token, nil
	}
	t, err := m.fetch(ctx)
	if err != nil {
		return "", err
	}
	m.token, m.expires = t, time.Now().Add(50*time.Minute)
	return t, nil
}

// coldStartMutexCache is TokenColdStart's baseline half: a fresh mutexCache per
// iteration (like the SDK's fresh client), one connection pool across them.
func coldStartMutexCache(b *testing.B, root string) {
	ctx := context.Background()
	bl, ct := newBaseline(b, root)
	b.ReportAllocs()
	for b.Loop() {
		cache := &mutexCache{fetch: bl.fetchToken}
		before := ct.tokens.Load()
		if err := coldStart(func(i int) error {
			token, err := cache.get(ctx)
			if err != nil {
				return err
			}
			var u salesUnit
			return bl.get(ctx, token, "/management/v1/sales-units/"+url.PathEscape(unitMSN(i%bulkUnits)), &u)
		}); err != nil {
			b.Fatal(err)
		}
		if got := ct.tokens.Load() - before; got != 1 {
			b.Fatalf("the mutex cache made %d token requests, want 1", got)
		}
	}
	b.ReportMetric(float64(ct.tokens.Load())/float64(b.N), "tokens/op")
	b.ReportMetric(float64(ct.dials.Load())/float64(b.N), "dials/op")
}
