// Package contracttest checks HTTP exchanges against the wire contract,
// portal/openapi.yaml, with kin-openapi. Only the module's tests import it, so
// kin-openapi never reaches a user's build.
package contracttest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// SpecPath is the module's copy of the contract, found from this file so that
// any package's tests can load it.
func SpecPath() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "portal", "openapi.yaml")
}

// Router loads the contract once and routes on paths only: test servers listen
// on random ports, so the document's servers are ignored.
var Router = sync.OnceValues(func() (routers.Router, error) {
	doc, err := openapi3.NewLoader().LoadFromFile(SpecPath())
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, err
	}
	doc.Servers = nil
	return gorillamux.NewRouter(doc)
})

// Checker is an http.RoundTripper that fails the test for every request the
// client sends and every answer it gets that the contract does not allow, and
// counts the exchanges per operationId.
type Checker struct {
	t      testing.TB
	router routers.Router
	inner  http.RoundTripper
	opts   *openapi3filter.Options

	mu   sync.Mutex
	seen map[string]int
}

// New returns a Checker sending through a fresh transport that is closed when the test ends.
func New(t testing.TB) *Checker {
	t.Helper()
	router, err := Router()
	if err != nil {
		t.Fatalf("loading %s: %v", SpecPath(), err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return &Checker{t: t, router: router, inner: tr, seen: map[string]int{},
		opts: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
			SkipSettingDefaults: true, IncludeResponseStatus: true}}
}

// HTTPClient is an *http.Client sending through the checker.
func (c *Checker) HTTPClient() *http.Client { return &http.Client{Transport: c} }

// Seen returns how many exchanges of the operation went through the checker.
func (c *Checker) Seen(operationID string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seen[operationID]
}

// RoundTrip validates the request, sends it, and validates the answer.
func (c *Checker) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	what := req.Method + " " + req.URL.Path
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		c.t.Errorf("%s matches no operation of the contract: %v", what, err)
		return c.inner.RoundTrip(req)
	}
	c.mu.Lock()
	c.seen[route.Operation.OperationID]++
	c.mu.Unlock()

	vreq := req.Clone(context.Background())
	vreq.Body = io.NopCloser(bytes.NewReader(body))
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: c.opts}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		c.t.Errorf("request %s breaks the contract: %v", what, err)
	}
	resp, err := c.inner.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	rb, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(rb))
	rin := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header, Options: c.opts}
	rin.SetBodyBytes(rb)
	if err := openapi3filter.ValidateResponse(context.Background(), rin); err != nil {
		c.t.Errorf("answer to %s (%d) breaks the contract: %v", what, resp.StatusCode, err)
	}
	return resp, nil
}
