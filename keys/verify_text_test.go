package keys_test

import (
	"net"
	"net/http"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/internal/sdktest"
	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/vipps"
)

func verifiedSet() keys.Set {
	return keys.RevealedSet{MSN: "123456", Environment: vipps.Production, ClientID: "client-1", ClientSecret: "secret-1",
		SubscriptionKeyPrimary: "sub-primary-1", SubscriptionKeySecondary: "sub-secondary-1"}.Set()
}

// A DNS failure says nothing about a key: Verify must not say it "does not
// work", but that it could not be verified.
func TestVerifyDNSFailureIsNotARefusedKey(t *testing.T) {
	c, mock := sdktest.NewMock(t, portal.WithRetry(vipps.RetryPolicy{MaxAttempts: 1}))
	mock.RegisterResponder(http.MethodPost, sdktest.BaseURL+"/accesstoken/get",
		httpmock.NewErrorResponder(&net.DNSError{Err: "no such host", Name: "vipps.test", IsNotFound: true}))
	set := verifiedSet()
	v, err := c.Keys.Verify(t.Context(), set)
	require.Error(t, err)
	require.NotNil(t, v)
	assert.False(t, v.OK())
	assert.NotContains(t, err.Error(), "does not work")
	assert.Contains(t, err.Error(), "subscriptionKeyPrimary of sales unit 123456 could not be verified")
	assert.Contains(t, err.Error(), "no such host", "the cause is kept")
	assert.NotContains(t, v.String(), "FAILS")
	assert.Contains(t, v.String(), "subscriptionKeyPrimary UNVERIFIED")
	var kerr *keys.KeyError
	require.ErrorAs(t, err, &kerr)
	assert.Equal(t, keys.SubscriptionKeyPrimary, kerr.Name)
}

// A key the token endpoint refuses does not work, and says so.
func TestVerifyRefusedKeyDoesNotWork(t *testing.T) {
	c, mock := sdktest.NewMock(t)
	mock.RegisterResponder(http.MethodPost, sdktest.BaseURL+"/accesstoken/get", func(r *http.Request) (*http.Response, error) {
		return sdktest.Answer(http.StatusUnauthorized, "application/json", `{"statusCode":401,"message":"Access denied due to invalid subscription key."}`), nil
	})
	set := verifiedSet()
	v, err := c.Keys.Verify(t.Context(), set)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "subscriptionKeyPrimary of sales unit 123456 does not work: the token endpoint refused it")
	assert.ErrorIs(t, err, vipps.ErrUnauthorized)
	assert.Contains(t, v.String(), "subscriptionKeyPrimary FAILS")
}
