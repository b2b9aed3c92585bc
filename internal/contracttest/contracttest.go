// Package contracttest checks HTTP exchanges against the wire contract,
// portal/openapi.yaml, with kin-openapi. Only the module's tests import it, so
// kin-openapi never reaches a user's build.
package contracttest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
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

// Contract is the loaded, validated document, a router over it and the
// validation options: the one contract validator of the module, used by the
// SDK's tests (Checker) and open to the simulator's conformance harness.
type Contract struct {
	Doc     *openapi3.T
	Router  routers.Router
	Options *openapi3filter.Options
}

// Load parses portal/openapi.yaml once per test binary; the result is never
// written to afterwards. Routing is on paths only: test servers listen on
// random ports, so the document's servers are ignored. String formats are
// checked (uuid, uri), not skipped.
var Load = sync.OnceValues(func() (*Contract, error) {
	doc, err := openapi3.NewLoader().LoadFromFile(SpecPath())
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", SpecPath(), err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("validate %s: %w", SpecPath(), err)
	}
	doc.Servers = nil
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("router over %s: %w", SpecPath(), err)
	}
	return &Contract{Doc: doc, Router: router, Options: &openapi3filter.Options{
		AuthenticationFunc:      openapi3filter.NoopAuthenticationFunc,
		SkipSettingDefaults:     true, // never rewrite what is validated
		IncludeResponseStatus:   true, // every status must be documented (or covered by default)
		SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.WithStringFormatValidators(formats)},
	}}, nil
})

// formats are the string formats the contract uses; kin-openapi checks no
// format unless told how.
var formats = map[string]openapi3.StringFormatValidator{
	"uuid": openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562),
	"uri": openapi3.NewCallbackValidator(func(s string) error {
		u, err := url.Parse(s)
		if err != nil {
			return err
		}
		if u.Scheme == "" || u.Host == "" {
			return fmt.Errorf("%q is not an absolute URI", s)
		}
		return nil
	}),
}

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
	ct, err := Load()
	if err != nil {
		t.Fatalf("loading the contract: %v", err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return &Checker{t: t, router: ct.Router, inner: tr, seen: map[string]int{}, opts: ct.Options}
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
