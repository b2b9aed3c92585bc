package portaltest_test

// The harness checks itself: a suite whose validator never fires would pass
// against anything.

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
)

// recordingTB records failures instead of failing the test.
type recordingTB struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (r *recordingTB) Helper() {}
func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

type cannedTransport struct {
	status    int
	ct        string
	body      string
	requestID string // "": a fresh one each time; "-": none
}

var cannedRequests atomic.Int64

func (c cannedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	h := http.Header{}
	if c.ct != "" {
		h.Set("Content-Type", c.ct)
	}
	switch c.requestID {
	case "":
		h.Set("X-Request-Id", fmt.Sprint("canned-", cannedRequests.Add(1)))
	case "-":
	default:
		h.Set("X-Request-Id", c.requestID)
	}
	return &http.Response{StatusCode: c.status, Header: h, Body: io.NopCloser(strings.NewReader(c.body)), Request: req}, nil
}

func TestConformanceHarnessSelfCheck(t *testing.T) {
	c := mustContract(t)
	goodProblem := `{"type":"https://portal-sdk.invalid/problems/not-found","title":"Not found","status":404,"detail":"d","instance":"/x"}`
	cases := []struct {
		name         string
		method, path string
		resp         cannedTransport
		wantErrors   bool
	}{
		{"valid me", "GET", pathMe, cannedTransport{status: 200, ct: ctJSON, body: `{"userId":"a","name":"n","phoneNumber":"+4791234567","role":"ADMINISTRATOR","merchant":{"businessIdentifier":{"scheme":"business:NO:ORG","id":"987654325"},"name":"m"}}`}, false},
		{"me with a wrong type", "GET", pathMe, cannedTransport{status: 200, ct: ctJSON, body: `{"userId":1}`}, true},
		{"me with a charset", "GET", pathMe, cannedTransport{status: 200, ct: "application/json; charset=utf-8", body: `{"userId":"a","name":"n","phoneNumber":"+4791234567","role":"ADMINISTRATOR","merchant":{"businessIdentifier":{"scheme":"business:NO:ORG","id":"987654325"},"name":"m"}}`}, true},
		{"management 200 as plain json", "GET", pathSalesUnit, cannedTransport{status: 200, ct: ctJSON, body: `[]`}, true},
		{"management 200 exact", "GET", pathSalesUnit, cannedTransport{status: 200, ct: ctManagementOK, body: `[]`}, false},
		{"problem without instance", "GET", testUnitPath("123456"), cannedTransport{status: 404, ct: ctProblem, body: `{"type":"https://portal-sdk.invalid/problems/not-found","title":"t","status":404,"detail":"d"}`}, true},
		{"problem with a wrong status", "GET", testUnitPath("123456"), cannedTransport{status: 404, ct: ctProblem, body: strings.Replace(goodProblem, "404", "400", 1)}, true},
		{"problem with an unknown name", "GET", testUnitPath("123456"), cannedTransport{status: 404, ct: ctProblem, body: strings.Replace(goodProblem, "not-found", "nope", 1)}, true},
		{"portal problem as json", "GET", testUnitPath("123456"), cannedTransport{status: 404, ct: ctManagementOK, body: goodProblem}, true},
		{"good problem", "GET", testUnitPath("123456"), cannedTransport{status: 404, ct: ctProblem, body: goodProblem}, false},
		{"routeless html", "GET", "/nope", cannedTransport{status: 404, ct: "text/html", body: `<html></html>`}, true},
		{"routeless problem", "GET", "/nope", cannedTransport{status: 404, ct: ctProblem, body: goodProblem}, false},
		{"token with a number", "POST", "/accesstoken/get", cannedTransport{status: 200, ct: ctJSON, body: `{"token_type":"Bearer","expires_in":3600,"ext_expires_in":"0","expires_on":"1","not_before":"1","resource":"r","access_token":"a"}`}, true},
		{"undocumented status", "GET", pathMe, cannedTransport{status: 299, ct: ctJSON, body: `{}`}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recordingTB{TB: t}
			client := &http.Client{Transport: newValidatingTransport(rec, c, tc.resp)}
			req, err := http.NewRequestWithContext(markInvalid(t.Context()), tc.method, "http://127.0.0.1:1"+tc.path, nil)
			assert.NoError(t, err)
			resp, err := client.Do(req)
			if assert.NoError(t, err) {
				body, _ := io.ReadAll(resp.Body)
				_ = resp.Body.Close()
				assert.Equal(t, tc.resp.body, string(body), "the body reaches the test unchanged")
			}
			if tc.wantErrors {
				assert.NotEmpty(t, rec.errors, "the harness must flag this answer")
			} else {
				assert.Empty(t, rec.errors, "the harness must accept this answer")
			}
		})
	}

	// A request that breaks the contract is flagged unless marked invalid.
	rec := &recordingTB{TB: t}
	client := &http.Client{Transport: newValidatingTransport(rec, c, cannedTransport{status: 200, ct: ctJSON, body: `{}`})}
	req, _ := http.NewRequestWithContext(t.Context(), "GET", "http://127.0.0.1:1"+pathTestUnits+"?pageSize=0", nil)
	if resp, err := client.Do(req); assert.NoError(t, err) {
		_ = resp.Body.Close()
	}
	assert.NotEmpty(t, rec.errors, "an invalid request not marked invalid is flagged")

	// Every answer carries a request id of its own.
	for name, tc := range map[string]struct {
		id       string
		requests int
	}{"no request id": {"-", 1}, "a repeated request id": {"same", 2}} {
		rec := &recordingTB{TB: t}
		client := &http.Client{Transport: newValidatingTransport(rec, c, cannedTransport{status: 404, ct: ctProblem, body: goodProblem, requestID: tc.id})}
		for range tc.requests {
			req, _ := http.NewRequestWithContext(markInvalid(t.Context()), "GET", "http://127.0.0.1:1/nope", nil)
			if resp, err := client.Do(req); assert.NoError(t, err) {
				_ = resp.Body.Close()
			}
		}
		assert.Len(t, rec.errors, 1, "the harness must flag %s once", name)
	}
}
