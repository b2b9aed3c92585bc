package perf

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vippsportal/sdk/internal/core"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/vipps"
)

// Every case is a pair, BenchmarkX/sdk and BenchmarkX/nethttp, against the same
// fake server (a child process, so allocations are the client's alone). The
// baseline is what a careful user writes with net/http and encoding/json: the
// same headers, a token fetched once, the body decoded into an equivalent struct
// (the SDK's *bool fields included) and drained before Close so the connection
// is reused.

const (
	clientID        = "perf-client"
	clientSecret    = "perf-secret-value"
	subscriptionKey = "0123456789abcdef0123456789abcdef"
	credsMSN        = "123456"
)

// The baseline's equivalents of salesunit.SalesUnit and salesunit.TestUnit.
type (
	bizID struct {
		Scheme string `json:"scheme"`
		ID     string `json:"id"`
	}
	configuration struct {
		PaymentAllowed               *bool  `json:"paymentAllowed,omitempty"`
		CaptureType                  string `json:"captureType,omitempty"`
		SkipLandingPageAllowed       *bool  `json:"skipLandingPageAllowed,omitempty"`
		RecurringAllowed             *bool  `json:"recurringAllowed,omitempty"`
		PartialCaptureAllowed        *bool  `json:"partialCaptureAllowed,omitempty"`
		LateCaptureAllowed           *bool  `json:"lateCaptureAllowed,omitempty"`
		LandingPagePhoneNumberLocked *bool  `json:"landingPagePhoneNumberLocked,omitempty"`
		LongLivingPaymentAllowed     *bool  `json:"longLivingPaymentAllowed,omitempty"`
		CreditCardPaymentAllowed     *bool  `json:"creditCardPaymentAllowed,omitempty"`
	}
	salesUnit struct {
		MSN                string        `json:"msn"`
		Name               string        `json:"name"`
		BusinessIdentifier bizID         `json:"businessIdentifier"`
		Configuration      configuration `json:"configuration"`
	}
	testUnit struct {
		MSN                string `json:"msn"`
		Name               string `json:"name"`
		BusinessIdentifier bizID  `json:"businessIdentifier"`
		Partner            string `json:"partner,omitempty"`
		Options            struct {
			SkipLandingPage bool `json:"skipLandingPage"`
			Recurring       bool `json:"recurring"`
			DirectCapture   bool `json:"directCapture"`
		} `json:"options"`
		Configuration configuration `json:"configuration"`
		CreatedAt     time.Time     `json:"createdAt"`
		CompletedAt   time.Time     `json:"completedAt"`
		KeysReady     bool          `json:"keysReady"`
	}
	testUnitPage struct {
		Items         []testUnit `json:"items"`
		NextPageToken string     `json:"nextPageToken,omitempty"`
	}
	tokenAnswer struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   string `json:"expires_in"`
	}
)

// countingTransport counts token requests; both halves of a case go through one.
type countingTransport struct {
	http.RoundTripper
	tokens atomic.Int64
	dials  atomic.Int64 // connections dialled, when counted (newTransport)
}

func (t *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost && len(r.URL.Path) >= 16 && r.URL.Path[len(r.URL.Path)-16:] == "/accesstoken/get" {
		t.tokens.Add(1)
	}
	return t.RoundTripper.RoundTrip(r)
}

// newTransport is the baseline's pool: net/http's default transport with
// idle pools sized as the SDK's default client's, so the baseline is not held
// back by net/http's default of 2 idle connections per host. (It keeps
// net/http's default of no cap on connections per host.)
func newTransport(tb testing.TB) *countingTransport {
	sdk := core.DefaultHTTPClient().Transport.(*http.Transport)
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost = sdk.MaxIdleConns, sdk.MaxIdleConnsPerHost
	return countDials(tb, t)
}

// newSDKTransport is the SDK's own default transport (core.DefaultHTTPClient,
// what portal.New uses without WithHTTPClient), its dials counted.
func newSDKTransport(tb testing.TB) *countingTransport {
	return countDials(tb, core.DefaultHTTPClient().Transport.(*http.Transport))
}

func countDials(tb testing.TB, t *http.Transport) *countingTransport {
	tb.Cleanup(t.CloseIdleConnections)
	ct := &countingTransport{RoundTripper: t}
	dial := t.DialContext
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		ct.dials.Add(1)
		return dial(ctx, network, addr)
	}
	return ct
}

// newSDK builds an SDK client on the fake server; portalPath chooses the
// test-unit listing (/u1000 or /u10000). The HTTP client is the SDK's default
// one (core.DefaultHTTPClient), counted.
func newSDK(tb testing.TB, portalPath string) (*portal.Client, *countingTransport) {
	tb.Helper()
	sdk := core.DefaultHTTPClient()
	ct := &countingTransport{RoundTripper: sdk.Transport}
	tb.Cleanup(sdk.CloseIdleConnections)
	sdk.Transport = ct
	return newSDKWith(tb, portalPath, sdk), ct
}

func newSDKWith(tb testing.TB, portalPath string, hc *http.Client) *portal.Client {
	return newSDKAt(tb, server.URL, portalPath, hc)
}

// newSDKAt is newSDKWith on another base URL (under slowTokenPrefix, say).
func newSDKAt(tb testing.TB, base, portalPath string, hc *http.Client) *portal.Client {
	tb.Helper()
	c, err := portal.New(
		portal.WithCredentials(vipps.Credentials{ClientID: clientID, ClientSecret: vipps.Secret(clientSecret),
			SubscriptionKey: vipps.Secret(subscriptionKey), MSN: credsMSN}),
		portal.WithBaseURL(base), portal.WithPortalURL(server.URL+portalPath),
		portal.WithSystem("perf", "1.0.0", "", ""),
		portal.WithHTTPClient(hc),
	)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// baseline is the plain net/http client: the same headers as the SDK sends.
type baseline struct {
	hc   *http.Client
	root string
}

func newBaseline(tb testing.TB, root string) (*baseline, *countingTransport) {
	ct := newTransport(tb)
	return &baseline{hc: &http.Client{Transport: ct}, root: root}, ct
}

func (b *baseline) header(h http.Header) {
	h["User-Agent"] = []string{core.UserAgent}
	h["Accept"] = []string{"application/json"}
	h["Vipps-System-Name"] = []string{"perf"}
	h["Vipps-System-Version"] = []string{"1.0.0"}
	h["Vipps-System-Plugin-Name"] = []string{core.PluginName} // the SDK names itself when the caller names no plugin
	h["Vipps-System-Plugin-Version"] = []string{vipps.Version}
	h["Ocp-Apim-Subscription-Key"] = []string{subscriptionKey}
	h["Merchant-Serial-Number"] = []string{credsMSN}
}

func (b *baseline) fetchToken(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.root+"/accesstoken/get", nil)
	if err != nil {
		return "", err
	}
	b.header(req.Header)
	req.Header.Set("client_id", clientID)
	req.Header.Set("client_secret", clientSecret)
	var t tokenAnswer
	if err := b.do(req, &t); err != nil {
		return "", err
	}
	return "Bearer " + t.AccessToken, nil
}

func (b *baseline) get(ctx context.Context, token, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.root+path, nil)
	if err != nil {
		return err
	}
	b.header(req.Header)
	req.Header["Authorization"] = []string{token}
	return b.do(req, out)
}

func (b *baseline) do(req *http.Request, out any) error {
	resp, err := b.hc.Do(req)
	if err != nil {
		return err
	}
	defer func() {
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s", req.Method, req.URL.Path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// BenchmarkSalesUnitGet: one authenticated GET of a sales unit, token cached.
func BenchmarkSalesUnitGet(b *testing.B) {
	ctx := context.Background()
	msn := unitMSN(7)
	b.Run("sdk", func(b *testing.B) {
		c, _ := newSDK(b, "")
		if _, err := c.SalesUnits.Get(ctx, msn); err != nil { // the token, and a warm connection
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			u, err := c.SalesUnits.Get(ctx, msn)
			if err != nil || u.MSN != msn {
				b.Fatal(u, err)
			}
		}
	})
	b.Run("nethttp", func(b *testing.B) {
		bl, _ := newBaseline(b, server.URL)
		token, err := bl.fetchToken(ctx)
		if err != nil {
			b.Fatal(err)
		}
		path := "/management/v1/sales-units/" + url.PathEscape(msn)
		var warm salesUnit
		if err := bl.get(ctx, token, path, &warm); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			var u salesUnit
			if err := bl.get(ctx, token, path, &u); err != nil || u.MSN != msn {
				b.Fatal(u, err)
			}
		}
	})
}

// allocMeter reports allocations and bytes per unit over a benchmark's loop.
type allocMeter struct{ before runtime.MemStats }

func startAllocMeter() *allocMeter {
	m := &allocMeter{}
	runtime.ReadMemStats(&m.before)
	return m
}

func (m *allocMeter) report(b *testing.B, units int) {
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	n := float64(b.N) * float64(units)
	b.ReportMetric(float64(after.Mallocs-m.before.Mallocs)/n, "allocs/unit")
	b.ReportMetric(float64(after.TotalAlloc-m.before.TotalAlloc)/n, "B/unit")
}

// BenchmarkTestUnitsAll walks 10,000 test units in pages of 100.
func BenchmarkTestUnitsAll(b *testing.B) {
	ctx := context.Background()
	b.Run("sdk", func(b *testing.B) {
		c, _ := newSDK(b, "")
		if _, err := c.TestUnits.List(ctx, &vipps.ListOptions{PageSize: pageSize}); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		m := startAllocMeter()
		for b.Loop() {
			n := 0
			for u, err := range c.TestUnits.All(ctx, &vipps.ListOptions{PageSize: pageSize}) {
				if err != nil {
					b.Fatal(err)
				}
				_ = u
				n++
			}
			if n != maxTestUnits {
				b.Fatalf("walked %d units, want %d", n, maxTestUnits)
			}
		}
		m.report(b, maxTestUnits)
	})
	b.Run("nethttp", func(b *testing.B) {
		bl, _ := newBaseline(b, server.URL)
		token, err := bl.fetchToken(ctx)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		m := startAllocMeter()
		for b.Loop() {
			n := 0
			next := ""
			for {
				q := url.Values{"pageSize": {fmt.Sprint(pageSize)}}
				if next != "" {
					q.Set("pageToken", next)
				}
				var p testUnitPage
				if err := bl.get(ctx, token, "/portal/v1/test-sales-units?"+q.Encode(), &p); err != nil {
					b.Fatal(err)
				}
				n += len(p.Items)
				if next = p.NextPageToken; next == "" {
					break
				}
			}
			if n != maxTestUnits {
				b.Fatalf("walked %d units, want %d", n, maxTestUnits)
			}
		}
		m.report(b, maxTestUnits)
	})
}

// fanOut runs n calls on workers goroutines and returns the first error.
func fanOut(workers, n int, call func(i int) error) error {
	var next atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := call(i); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}

const bulkWorkers = 32

// BenchmarkBulkGet reads 2,000 sales units with 32 workers. Both halves pool
// connections alike (MaxIdleConnsPerHost of core.DefaultHTTPClient).
func BenchmarkBulkGet(b *testing.B) {
	ctx := context.Background()
	b.Run("sdk", func(b *testing.B) {
		c, _ := newSDK(b, "")
		if _, err := c.SalesUnits.Get(ctx, unitMSN(0)); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if err := fanOut(bulkWorkers, bulkUnits, func(i int) error {
				u, err := c.SalesUnits.Get(ctx, unitMSN(i))
				if err == nil && u.MSN != unitMSN(i) {
					err = fmt.Errorf("got unit %s for %s", u.MSN, unitMSN(i))
				}
				return err
			}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("nethttp", func(b *testing.B) {
		bl, _ := newBaseline(b, server.URL)
		token, err := bl.fetchToken(ctx)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if err := fanOut(bulkWorkers, bulkUnits, func(i int) error {
				var u salesUnit
				if err := bl.get(ctx, token, "/management/v1/sales-units/"+url.PathEscape(unitMSN(i)), &u); err != nil {
					return err
				}
				if u.MSN != unitMSN(i) {
					return fmt.Errorf("got unit %s for %s", u.MSN, unitMSN(i))
				}
				return nil
			}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

const coldCallers = 1000

// coldStart runs coldCallers goroutines that start together and each make one call.
func coldStart(call func(i int) error) error {
	start := make(chan struct{})
	errs := make(chan error, coldCallers)
	var wg sync.WaitGroup
	for i := range coldCallers {
		wg.Go(func() {
			<-start
			if err := call(i); err != nil {
				errs <- err
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	return <-errs
}

// BenchmarkTokenColdStart: 1,000 goroutines make their first call at once. The
// SDK (a fresh client, so a fresh token cache, per iteration, on the SDK's own
// default transport) must fetch one token; so does the baseline, a 20-line
// mutex-guarded cache (mutexCache) on net/http. Each half keeps one
// connection pool across iterations.
func BenchmarkTokenColdStart(b *testing.B) { benchmarkColdStart(b, server.URL) }

// BenchmarkTokenColdStart50ms is TokenColdStart with a token endpoint that
// takes 50 ms: every caller waits for the one fetch, and then all at once.
func BenchmarkTokenColdStart50ms(b *testing.B) { benchmarkColdStart(b, server.URL+slowTokenPrefix) }

// BenchmarkTokenColdStartSharedTransport is TokenColdStart with the SDK on a
// transport like the baseline's, with no cap on connections per host (a
// caller's WithHTTPClient may be one): the cold start itself, without the
// SDK's own transport settings. It has no target; it says what they are worth.
func BenchmarkTokenColdStartSharedTransport(b *testing.B) {
	benchmarkColdStartOn(b, server.URL, newTransport)
}

func benchmarkColdStart(b *testing.B, root string) { benchmarkColdStartOn(b, root, newSDKTransport) }

func benchmarkColdStartOn(b *testing.B, root string, transport func(testing.TB) *countingTransport) {
	ctx := context.Background()
	b.Run("sdk", func(b *testing.B) {
		ct := transport(b)
		hc := &http.Client{Transport: ct}
		b.ReportAllocs()
		for b.Loop() {
			c := newSDKAt(b, root, "", hc)
			before := ct.tokens.Load()
			if err := coldStart(func(i int) error {
				_, err := c.SalesUnits.Get(ctx, unitMSN(i%bulkUnits))
				return err
			}); err != nil {
				b.Fatal(err)
			}
			if got := ct.tokens.Load() - before; got != 1 {
				b.Fatalf("%d callers on a fresh client made %d token requests, want 1", coldCallers, got)
			}
		}
		b.ReportMetric(float64(ct.tokens.Load())/float64(b.N), "tokens/op")
		b.ReportMetric(float64(ct.dials.Load())/float64(b.N), "dials/op")
	})
	b.Run("mutexcache", func(b *testing.B) { coldStartMutexCache(b, root) })
}
