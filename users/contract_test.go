package users_test

// Every request the Users service sends, and every answer the simulator gives
// it, checked against the wire contract (portal/openapi.yaml) with kin-openapi.

import (
	"bytes"
	"context"
	"io"
	"net/http"
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
	"github.com/vippsportal/sdk/users"
)

// contractChecker validates each exchange and counts them per operation.
type contractChecker struct {
	t      *testing.T
	router routers.Router
	opts   *openapi3filter.Options
	inner  http.RoundTripper
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
	v.seen[route.Operation.OperationID]++
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
	s := sim(t)
	check := newContractChecker(t)
	admin := s.UserCredentials(portaltest.AdminUserID)
	c, err := portal.New(
		portal.WithCredentials(portal.Credentials{ClientID: admin.ClientID, ClientSecret: keys.Secret(admin.ClientSecret),
			SubscriptionKey: keys.Secret(admin.SubscriptionKey), MSN: portaltest.ProductionMSN}),
		portal.WithBaseURL(s.URL), portal.WithPortalURL(s.URL),
		portal.WithSystem("contract-test", "1.0.0", "users", "0.1"),
		portal.WithHTTPClient(&http.Client{Transport: check}))
	require.NoError(t, err)
	ctx := t.Context()

	_, err = c.Users.Me(ctx)
	require.NoError(t, err)
	u, err := c.Users.Invite(ctx, &users.InviteRequest{PhoneNumber: "+4798765432", Name: "Nora Ny", Email: "nora@example.com", Role: users.RoleAssistant})
	require.NoError(t, err)
	_, err = c.Users.Invite(ctx, &users.InviteRequest{PhoneNumber: "+4798765433", Name: "Nils Ny", Role: users.RoleAdministrator})
	require.NoError(t, err)
	_, err = c.Users.Get(ctx, u.UserID)
	require.NoError(t, err)
	for _, err := range c.Users.All(ctx, &users.ListOptions{PageSize: 2}) {
		require.NoError(t, err)
	}
	_, err = c.Users.Grant(ctx, u.UserID, portaltest.TestMSN, users.PermissionDeveloper, users.PermissionTransactionManagement)
	require.NoError(t, err)
	require.NoError(t, c.Users.Revoke(ctx, u.UserID, portaltest.TestMSN))
	require.NoError(t, c.Users.Remove(ctx, u.UserID))
	// Error answers are checked as well.
	_, err = c.Users.Get(ctx, u.UserID)
	require.ErrorIs(t, err, portal.ErrNotFound)
	_, err = c.Users.Invite(ctx, &users.InviteRequest{PhoneNumber: "+4791234567", Name: "Ada Again", Role: users.RoleAssistant})
	require.ErrorIs(t, err, portal.ErrConflict)

	for _, op := range []string{"getAccessToken", "getMe", "inviteUser", "getUser", "listUsers", "grantAccess", "revokeAccess", "removeUser"} {
		assert.Positive(t, check.seen[op], "operation %s was exercised", op)
	}
	assert.Equal(t, 3, check.seen["listUsers"], "5 users in pages of 2")
}
