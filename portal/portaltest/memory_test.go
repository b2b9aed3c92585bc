package portaltest_test

import (
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/portal/portaltest"
)

var largeMemoryRun = flag.Bool("large-memory", false,
	"TestMemoryStaysFlat serves 1,000,000 token and 1,000,000 API requests (about two minutes) instead of 50,000 each")

// A long-running simulator holds memory that does not grow with the number
// of requests it served: expired tokens are forgotten, the request log is a
// ring. Each round asks for a token (standard and specialized in turn) and
// makes one API call with it, on a clock that moves a second a round, so
// tokens keep expiring. The heap after the first 10,000 rounds is the
// baseline (the request log is full by then); the growth after that must stay
// under the bound. Run the large one with
//
//	go test ./portal/portaltest -run TestMemoryStaysFlat -large-memory -v
func TestMemoryStaysFlat(t *testing.T) {
	rounds, bound := 50_000, int64(2<<20)
	if *largeMemoryRun {
		rounds, bound = 1_000_000, 20<<20
	}
	clock := portaltest.NewManualClock(t0)
	s := portaltest.NewServer(portaltest.WithClock(clock.Now))
	defer s.Close()
	h := s.Handler()
	user, mgmt := s.UserCredentials(portaltest.AdminUserID), s.ManagementCredentials(portaltest.PartnerID)

	serve := func(req *http.Request) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	token := func(specialized bool) string {
		var req *http.Request
		if specialized {
			req = httptest.NewRequest(http.MethodPost, pathMiami, strings.NewReader("grant_type=client_credentials"))
			req.Header.Set("Authorization", basicAuth(mgmt.ClientID, mgmt.ClientSecret.Reveal()))
			req.Header.Set("Content-Type", formContentType)
		} else {
			req = httptest.NewRequest(http.MethodPost, "/accesstoken/get", nil)
			req.Header.Set("client_id", user.ClientID)
			req.Header.Set("client_secret", user.ClientSecret.Reveal())
			req.Header.Set("Ocp-Apim-Subscription-Key", user.SubscriptionKey.Reveal())
		}
		rec := serve(req)
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &tok) != nil {
			t.Fatalf("token: %d %s", rec.Code, rec.Body)
		}
		return tok.AccessToken
	}
	call := func(tok string, specialized bool) {
		req := httptest.NewRequest(http.MethodGet, pathMe, nil)
		if specialized {
			req = httptest.NewRequest(http.MethodGet, pathSalesUnit, nil)
		} else {
			req.Header.Set("Ocp-Apim-Subscription-Key", user.SubscriptionKey.Reveal())
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		if rec := serve(req); rec.Code != http.StatusOK {
			t.Fatalf("call: %d %s", rec.Code, rec.Body)
		}
	}

	var base int64
	for i := range rounds {
		specialized := i%2 == 1
		call(token(specialized), specialized)
		clock.Advance(time.Second)
		if i+1 == 10_000 {
			base = heapInUse()
		}
	}
	final := heapInUse()
	grown := final - base
	t.Logf("%d token and %d API requests: live heap %d KB after the first 10,000 of each, %d KB at the end: %+d KB (bound %d MB)",
		rounds, rounds, base>>10, final>>10, grown>>10, bound>>20)
	assert.Less(t, grown, bound)
	require.Equal(t, rounds, s.State().IssuedTokens, "every token was issued")
}

// heapInUse is the live heap after a full collection.
func heapInUse() int64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
