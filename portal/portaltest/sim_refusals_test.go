package portaltest

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// Invalid UTF-8 in a JSON body is a 400, not silently replaced with U+FFFD.
func TestSimInvalidUTF8BodyRefused(t *testing.T) {
	s := newSim(t, WithManualProvisioning())
	before := s.State()
	for _, body := range []string{"{\"name\":\"Bad \xff unit\"}", "{\"name\":\"ok\",\"partner\":\"\xc3\x28\"}"} {
		r := s.call(s.admin(), "POST", "/portal/v1/test-sales-units", body, "Idempotency-Key", "k-utf8-"+fmt.Sprint(len(body)))
		expect(t, r, 400, pInvalidRequest)
		if !strings.Contains(string(r.body), "UTF-8") {
			t.Errorf("the detail should say why: %s", r.body)
		}
	}
	r := s.call(s.partner(), "POST", "/management/v1/product-orders",
		"{\"businessIdentifier\":{\"scheme\":\"business:NO:ORG\",\"id\":\"987654325\"},\"productType\":\"CHECKOUT\",\"x\":\"\xfe\"}",
		"Idempotency-Key", "k-utf8-order")
	expect(t, r, 400, pInvalidRequest)
	if after := s.State(); len(after.Creations) != len(before.Creations) || len(after.ProductOrders) != len(before.ProductOrders) {
		t.Fatal("a refused body created something")
	}
}

// A fault the contract cannot answer is refused where it is configured, and
// nothing is added; the requests it would have hit answer normally.
func TestSimInjectFaultRefusesBadFaults(t *testing.T) {
	s := newSim(t)
	bad := map[string]Fault{
		"Status":      {Status: 200},
		"Status ":     {Status: 204},
		"Status  ":    {Status: 302},
		"Status   ":   {Status: 600},
		"Status    ":  {Status: 99},
		"Times":       {Status: 500, Times: -2},
		"Probability": {Status: 500, Probability: 1.5},
		"Delay":       {Delay: -time.Second},
		"RetryAfter":  {Status: 429, RetryAfter: -time.Second},
	}
	for field, f := range bad {
		err := s.InjectFault(f)
		if err == nil {
			t.Fatalf("fault %+v accepted", f)
		}
		if want := "Fault." + strings.TrimSpace(field); !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	expect(t, s.call(s.admin(), "GET", "/portal/v1/me", nil), 200, "")
	if n := s.FaultsInjected(); n != 0 {
		t.Fatalf("%d faults injected", n)
	}
	for _, st := range []int{400, 429, 500, 599} {
		if err := s.InjectFault(Fault{Operation: OpGetMe, Status: st}); err != nil {
			t.Fatalf("status %d refused: %v", st, err)
		}
	}
}

// The request log keeps the newest N requests; memory stays flat.
func TestSimRequestLogBounded(t *testing.T) {
	const limit, total = 50, 1000
	s := newSim(t, WithRequestLogLimit(limit))
	admin := s.admin()
	for i := range total {
		s.call(admin, "GET", fmt.Sprintf("/portal/v1/users/%d", i), nil)
	}
	log := s.Requests()
	if len(log) != limit {
		t.Fatalf("log holds %d, want %d", len(log), limit)
	}
	for i, e := range log {
		if want := fmt.Sprintf("/portal/v1/users/%d", total-limit+i); e.Path != want {
			t.Fatalf("log[%d] is %s, want %s (newest kept, oldest first)", i, e.Path, want)
		}
	}
	if got := len(s.RequestsOf(OpGetUser)); got != limit {
		t.Fatalf("RequestsOf: %d", got)
	}
	s.ResetRequests()
	s.call(admin, "GET", "/portal/v1/me", nil)
	if log := s.Requests(); len(log) != 1 || log[0].Operation != OpGetMe {
		t.Fatalf("after reset: %+v", log)
	}
}

// Over many more requests than the limit, the heap does not grow with them.
func TestSimRequestLogMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("sends thousands of requests")
	}
	const limit = 100
	s := newSim(t, WithRequestLogLimit(limit))
	admin := s.admin()
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	for range 2 * limit {
		s.call(admin, "GET", "/portal/v1/me", nil)
	}
	base := heap()
	for range 3000 {
		s.call(admin, "GET", "/portal/v1/me", nil)
	}
	grown := int64(heap()) - int64(base)
	t.Logf("heap growth over 3000 requests with a log of %d: %d bytes", limit, grown)
	// An unbounded log holds a header map per request (about 1 KiB each here,
	// so ~3 MiB); a bounded one holds the same 100 entries throughout.
	if grown > 1<<20 {
		t.Fatalf("heap grew by %d bytes over 3000 requests with a log of %d", grown, limit)
	}
	if n := len(s.Requests()); n != limit {
		t.Fatalf("log holds %d", n)
	}
}

func TestSimRequestLogLimitOption(t *testing.T) {
	if _, err := Start("127.0.0.1:0", WithRequestLogLimit(-1)); err == nil || !strings.Contains(err.Error(), "WithRequestLogLimit(-1)") {
		t.Fatalf("negative limit: %v", err)
	}
	// A negative delay is refused naming the option that set it.
	for option, o := range map[string]Option{"WithProvisioningDelay(-1s)": WithProvisioningDelay(-time.Second),
		"WithKeysDelay(-1s)": WithKeysDelay(-time.Second), "WithOrderStep(-1s)": WithOrderStep(-time.Second)} {
		if _, err := Start("127.0.0.1:0", o); err == nil || !strings.Contains(err.Error(), option) {
			t.Fatalf("%s: %v", option, err)
		}
	}
	s := newSim(t)
	if s.cfg.logLimit != DefaultRequestLogLimit {
		t.Fatalf("default limit %d", s.cfg.logLimit)
	}
}

// WithRequestHook sees every answered request, with secrets redacted.
func TestSimRequestHook(t *testing.T) {
	var mu sync.Mutex
	var seen []LoggedRequest
	s := newSim(t, WithRequestHook(func(e LoggedRequest) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, e)
	}))
	s.call(s.admin(), "GET", "/portal/v1/me", nil)
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 || seen[0].Operation != OpFetchAuthorizationTokenUsingPost || seen[1].Operation != OpGetMe || seen[1].Status != 200 {
		t.Fatalf("hook saw %+v", seen)
	}
	for _, e := range seen {
		for _, h := range []string{"Authorization", "Ocp-Apim-Subscription-Key", "Client_secret"} {
			if v := e.Header.Get(h); v != "" && v != "REDACTED" {
				t.Fatalf("%s not redacted", h)
			}
		}
	}
}
