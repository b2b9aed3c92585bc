package keys_test

// Every request the Keys service sends (Verify and Rotate included), and every answer the simulator gives
// it, checked against the wire contract (portal/openapi.yaml) with kin-openapi.

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/salesunit"
)

// contractChecker validates each exchange and counts them per operation.
type contractChecker struct {
	t      *testing.T
	router routers.Router
	opts   *openapi3filter.Options
	inner  http.RoundTripper
	mu     sync.Mutex
	seen   map[string]int
}

func newContractChecker(t *testing.T) *contractChecker {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile("../portal/openapi.yaml")
	require.NoError(t, err)
	require.NoError(t, doc.Validate(context.Background()))
	doc.Servers = nil // route on paths only: the simulator's port is random
	router, err := gorillamux.NewRouter(doc)
	require.NoError(t, err)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return &contractChecker{t: t, router: router, inner: tr, seen: map[string]int{},
		opts: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
			SkipSettingDefaults: true, IncludeResponseStatus: true}}
}

func (v *contractChecker) RoundTrip(req *http.Request) (*http.Response, error) {
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
	what := req.Method + " " + req.URL.RequestURI()
	route, params, err := v.router.FindRoute(req)
	if err != nil {
		v.t.Errorf("%s matches no operation of the contract: %v", what, err)
		return v.inner.RoundTrip(req)
	}
	v.mu.Lock()
	v.seen[route.Operation.OperationID]++
	v.mu.Unlock()
	vreq := req.Clone(context.Background())
	vreq.Body = io.NopCloser(bytes.NewReader(body))
	// Header names are case-insensitive on the wire; the core writes client_id
	// and client_secret as Vipps spells them, so canonicalize for the validator.
	vreq.Header = http.Header{}
	for k, vs := range req.Header {
		for _, x := range vs {
			vreq.Header.Add(k, x)
		}
	}
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: v.opts}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		v.t.Errorf("request %s breaks the contract: %v", what, err)
	}
	resp, err := v.inner.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	rb, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(rb))
	rin := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header, Options: v.opts}
	rin.SetBodyBytes(rb)
	if err := openapi3filter.ValidateResponse(context.Background(), rin); err != nil {
		v.t.Errorf("answer to %s (%d) breaks the contract: %v", what, resp.StatusCode, err)
	}
	return resp, nil
}

func TestRequestsFollowTheContract(t *testing.T) {
	s := newSim(t, portaltest.WithManualProvisioning())
	check := newContractChecker(t)
	client := func(cr portaltest.Credentials) *portal.Client {
		c, err := portal.New(
			portal.WithCredentials(portal.Credentials{ClientID: cr.ClientID, ClientSecret: keys.Secret(cr.ClientSecret),
				SubscriptionKey: keys.Secret(cr.SubscriptionKey), MSN: portaltest.ProductionMSN}),
			portal.WithBaseURL(s.URL), portal.WithPortalURL(s.URL),
			portal.WithSystem("contract-test", "1.0.0", "keys", "0.1"),
			portal.WithHTTPClient(&http.Client{Transport: check}))
		require.NoError(t, err)
		return c
	}
	c := client(s.UserCredentials(portaltest.AdminUserID))
	ctx := t.Context()

	set, err := c.Keys.Get(ctx, portaltest.ProductionMSN)
	require.NoError(t, err)
	for _, n := range []keys.Name{keys.ClientID, keys.ClientSecret, keys.SubscriptionKeyPrimary, keys.SubscriptionKeySecondary} {
		set, err = c.Keys.Regenerate(ctx, portaltest.ProductionMSN, n)
		require.NoError(t, err)
	}
	_, err = c.Keys.Verify(ctx, set)
	require.NoError(t, err)
	st := &memStore{}
	_, err = c.Keys.Rotate(ctx, portaltest.TestMSN, keys.RotateOptions{SubscriptionKeys: true, ClientSecret: true,
		InUse: keys.SubscriptionKeyPrimary, Store: st.store})
	require.NoError(t, err)

	// Error answers are checked as well.
	wrong := *set
	wrong.ClientSecret = "wrong"
	_, err = c.Keys.Verify(ctx, &wrong)
	require.ErrorIs(t, err, portal.ErrUnauthorized)
	wrong = *set
	wrong.SubscriptionKeyPrimary = "00000000000000000000000000000000"
	_, err = c.Keys.Verify(ctx, &wrong)
	require.ErrorIs(t, err, portal.ErrUnauthorized)
	_, err = c.Keys.Get(ctx, portaltest.OtherMSN)
	require.ErrorIs(t, err, portal.ErrNotFound)
	_, err = client(s.UserCredentials(portaltest.AssistantUserID)).Keys.Regenerate(ctx, portaltest.ProductionMSN, keys.ClientSecret)
	require.ErrorIs(t, err, portal.ErrForbidden)
	_, err = client(s.UnitCredentials(portaltest.ProductionMSN)).Keys.Get(ctx, portaltest.ProductionMSN)
	require.ErrorIs(t, err, portal.ErrForbidden)
	cr, err := c.TestUnits.Create(ctx, salesunit.TestUnitRequest{Name: "Contract shop"})
	require.NoError(t, err)
	msn, err := s.CompleteCreation(cr.CreationID)
	require.NoError(t, err)
	_, err = c.Keys.Get(ctx, msn)
	require.ErrorIs(t, err, portal.ErrKeysNotReady)
	_, err = c.Keys.Regenerate(ctx, msn, keys.SubscriptionKeyPrimary)
	require.ErrorIs(t, err, portal.ErrKeysNotReady)

	for _, op := range []string{"getAccessToken", "getKeys", "regenerateKey"} {
		assert.Positive(t, check.seen[op], "operation %s was exercised", op)
	}
	assert.Equal(t, 4+3+2, check.seen["regenerateKey"], "4 alone, 3 in the rotation, the 403 and the 409")
}
