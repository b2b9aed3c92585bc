package portal_test

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/vipps"
)

var quickRetry = portal.WithRetry(vipps.RetryPolicy{MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond})

func TestWithResponseAfterSuccess(t *testing.T) {
	s := portaltest.NewServer()
	t.Cleanup(s.Close)
	c := s.AdminClient(quickRetry)

	var meta vipps.Response
	unit, err := c.TestUnits.Get(portal.WithResponse(t.Context(), &meta), portaltest.TestMSN)
	require.NoError(t, err)
	require.Equal(t, portaltest.TestMSN, unit.MSN, "the typed result is unchanged")
	assert.Equal(t, "getTestSalesUnit", meta.Operation)
	assert.Equal(t, http.StatusOK, meta.StatusCode)
	assert.Equal(t, 1, meta.Attempts)
	assert.Contains(t, meta.Header.Get("Content-Type"), "application/json")

	// The same holder reused: the second call overwrites the first entirely.
	_, err = c.SalesUnits.List(portal.WithResponse(t.Context(), &meta))
	require.NoError(t, err)
	assert.Equal(t, "getAllSalesUnits", meta.Operation)
	assert.Equal(t, http.StatusOK, meta.StatusCode)
}

func TestWithResponseAfterProblem(t *testing.T) {
	s := portaltest.NewServer()
	t.Cleanup(s.Close)
	c := s.AdminClient(quickRetry)

	var meta vipps.Response
	_, err := c.TestUnits.Get(portal.WithResponse(t.Context(), &meta), "999999")
	require.ErrorIs(t, err, vipps.ErrNotFound)
	assert.Equal(t, "getTestSalesUnit", meta.Operation)
	assert.Equal(t, http.StatusNotFound, meta.StatusCode)
	assert.Equal(t, 1, meta.Attempts)
	assert.Contains(t, meta.Header.Get("Content-Type"), "application/problem+json")
}

func TestWithResponseCountsRetries(t *testing.T) {
	s := portaltest.NewServer()
	t.Cleanup(s.Close)
	c := s.AdminClient(quickRetry)
	s.InjectFault(portaltest.Fault{Operation: "getMsn", Status: http.StatusServiceUnavailable, Times: 2})

	var meta vipps.Response
	_, err := c.SalesUnits.Get(portal.WithResponse(t.Context(), &meta), portaltest.ProductionMSN)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, meta.StatusCode, "the answer behind the result is the last one")
	assert.Equal(t, 3, meta.Attempts, "two 503s, then the answer")

	s.InjectFault(portaltest.Fault{Operation: "getMsn", Status: http.StatusServiceUnavailable, Times: -1})
	_, err = c.SalesUnits.Get(portal.WithResponse(t.Context(), &meta), portaltest.ProductionMSN)
	require.ErrorIs(t, err, vipps.ErrServer)
	assert.Equal(t, http.StatusServiceUnavailable, meta.StatusCode)
	assert.Equal(t, 4, meta.Attempts, "the default policy's four attempts")
}

// The request id comes from the answer's header; credential headers a server
// echoes never reach the holder, and a secret inside another header is redacted.
func TestWithResponseRequestIDAndNoSecrets(t *testing.T) {
	const (
		base   = "https://vipps.test"
		token  = "tok-echoed-0123456789"
		subKey = "sub-echoed-0123456789"
		secret = "secret-echoed-0123456789"
	)
	mock := httpmock.NewMockTransport()
	mock.RegisterResponder(http.MethodPost, base+"/accesstoken/get", httpmock.NewStringResponder(http.StatusOK,
		`{"token_type":"Bearer","expires_in":"3600","access_token":"`+token+`"}`))
	mock.RegisterResponder(http.MethodGet, base+"/management/v1/sales-units/123456", func(r *http.Request) (*http.Response, error) {
		resp := httpmock.NewStringResponse(http.StatusOK, `{"msn":"123456","name":"ACME Web","configuration":{}}`)
		resp.Header.Set("Content-Type", "application/json")
		resp.Header.Set("X-Request-Id", "req-42")
		resp.Header.Set("Authorization", r.Header.Get("Authorization"))
		resp.Header.Set("Ocp-Apim-Subscription-Key", subKey)
		resp.Header.Set("X-Debug", "saw key "+subKey+" and token "+token+" and "+secret)
		return resp, nil
	})
	c, err := portal.New(portal.WithBaseURL(base), portal.WithHTTPClient(&http.Client{Transport: mock}),
		portal.WithCredentials(vipps.Credentials{ClientID: "client-1", ClientSecret: vipps.Secret(secret), SubscriptionKey: vipps.Secret(subKey)}))
	require.NoError(t, err)

	var meta vipps.Response
	_, err = c.SalesUnits.Get(portal.WithResponse(t.Context(), &meta), "123456")
	require.NoError(t, err)
	assert.Equal(t, "req-42", meta.RequestID)
	assert.Empty(t, meta.Header.Values("Authorization"))
	assert.Empty(t, meta.Header.Values("Ocp-Apim-Subscription-Key"))
	assert.Equal(t, "saw key [REDACTED] and token [REDACTED] and [REDACTED]", meta.Header.Get("X-Debug"))
	for k, vs := range meta.Header {
		for _, v := range vs {
			for _, sec := range []string{token, subKey, secret} {
				assert.NotContains(t, v, sec, "header %s", k)
			}
		}
	}
}

// A call with no answer at all leaves no status of an earlier answer (the
// token's) standing for it.
func TestWithResponseWithoutAnswer(t *testing.T) {
	const base = "https://vipps.test"
	mock := httpmock.NewMockTransport()
	mock.RegisterResponder(http.MethodPost, base+"/accesstoken/get", httpmock.NewStringResponder(http.StatusOK,
		`{"token_type":"Bearer","expires_in":"3600","access_token":"tok-0123456789"}`))
	mock.RegisterResponder(http.MethodGet, base+"/management/v1/sales-units/123456", httpmock.NewErrorResponder(context.DeadlineExceeded))
	c, err := portal.New(portal.WithBaseURL(base), portal.WithHTTPClient(&http.Client{Transport: mock}), quickRetry,
		portal.WithRetry(vipps.RetryPolicy{MaxAttempts: 2, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}),
		portal.WithCredentials(vipps.Credentials{ClientID: "client-1", ClientSecret: "secret-1", SubscriptionKey: "sub-1"}))
	require.NoError(t, err)

	var meta vipps.Response
	_, err = c.SalesUnits.Get(portal.WithResponse(t.Context(), &meta), "123456")
	require.Error(t, err)
	assert.Equal(t, "getMsn", meta.Operation)
	assert.Zero(t, meta.StatusCode)
	assert.Nil(t, meta.Header)
	assert.Equal(t, 2, meta.Attempts)
}

// Concurrent calls with their own holders never see each other's answer.
func TestWithResponseConcurrentHoldersDoNotMix(t *testing.T) {
	s := portaltest.NewServer()
	t.Cleanup(s.Close)
	c := s.AdminClient(quickRetry)

	const n = 16
	var wg sync.WaitGroup
	metas := make([]vipps.Response, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			ctx := portal.WithResponse(t.Context(), &metas[i])
			if i%2 == 0 {
				_, errs[i] = c.TestUnits.Get(ctx, portaltest.TestMSN)
			} else {
				_, errs[i] = c.TestUnits.Get(ctx, "99999"+strconv.Itoa(i%10))
			}
		})
	}
	wg.Wait()
	for i := range n {
		if i%2 == 0 {
			require.NoError(t, errs[i])
			assert.Equal(t, http.StatusOK, metas[i].StatusCode, "call %d", i)
		} else {
			require.ErrorIs(t, errs[i], vipps.ErrNotFound)
			assert.Equal(t, http.StatusNotFound, metas[i].StatusCode, "call %d", i)
		}
		assert.Equal(t, "getTestSalesUnit", metas[i].Operation)
		assert.Equal(t, 1, metas[i].Attempts)
	}
}

// When getting a token is what failed, the holder shows the token endpoint's answer.
func TestWithResponseAfterRefusedToken(t *testing.T) {
	s := portaltest.NewServer()
	t.Cleanup(s.Close)
	creds := s.UserCredentials(portaltest.AdminUserID)
	creds.ClientSecret = "wrong-secret-value"
	c, err := s.Client(creds, quickRetry)
	require.NoError(t, err)

	var meta vipps.Response
	_, err = c.Users.Me(portal.WithResponse(t.Context(), &meta))
	require.ErrorIs(t, err, vipps.ErrUnauthorized)
	assert.Equal(t, "fetchAuthorizationTokenUsingPost", meta.Operation)
	assert.Equal(t, http.StatusUnauthorized, meta.StatusCode)
	assert.NotNil(t, meta.Header)
	assert.Equal(t, 1, meta.Attempts)
}
