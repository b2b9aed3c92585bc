package keys_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/internal/sdktest"
	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/salesunit"
	"github.com/vippsportal/sdk/vipps"
)

// ---- wire: exact requests against a mock transport ----

const (
	base       = sdktest.BaseURL
	testToken  = sdktest.Token
	testSubKey = sdktest.SubKey
	keySetBody = `{"msn":"123456","environment":"production","clientId":"2f1c6b4e-0000-4000-8000-000000000001",
		"clientSecret":"s3cr3t-value-xyz","subscriptionKeyPrimary":"0123456789abcdef0123456789abcdef",
		"subscriptionKeySecondary":"fedcba9876543210fedcba9876543210","updatedAt":"2026-01-02T03:04:05Z"}`
)

var newMock = sdktest.NewMock

func assertCommonHeaders(t *testing.T, r *http.Request) {
	t.Helper()
	sdktest.AssertCommonHeaders(t, r.Header)
}

func jsonAnswer(status int, ctype, body string) *http.Response {
	return sdktest.Answer(status, ctype, body)
}

func TestGetWire(t *testing.T) {
	c, mock := newMock(t)
	calls := 0
	mock.RegisterResponder(http.MethodGet, base+"/portal/v1/sales-units/123456/keys", func(r *http.Request) (*http.Response, error) {
		calls++
		assertCommonHeaders(t, r)
		assert.Empty(t, r.Header.Get("Idempotency-Key"))
		assert.Empty(t, r.URL.RawQuery)
		return jsonAnswer(http.StatusOK, "application/json", keySetBody), nil
	})
	set, err := c.Keys.Get(context.Background(), "123456")
	require.NoError(t, err)
	assert.Equal(t, 1, calls)
	assert.Equal(t, keys.Set{MSN: "123456", Environment: "production", ClientID: "2f1c6b4e-0000-4000-8000-000000000001",
		ClientSecret: "s3cr3t-value-xyz", SubscriptionKeyPrimary: "0123456789abcdef0123456789abcdef",
		SubscriptionKeySecondary: "fedcba9876543210fedcba9876543210", UpdatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}, *set)
}

func TestRegenerateWire(t *testing.T) {
	c, mock := newMock(t)
	var idemKeys []string
	mock.RegisterResponder(http.MethodPost, base+"/portal/v1/sales-units/123456/keys/regenerate", func(r *http.Request) (*http.Response, error) {
		assertCommonHeaders(t, r)
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
		b, _ := io.ReadAll(r.Body)
		assert.JSONEq(t, `{"key":"clientSecret"}`, string(b))
		idemKeys = append(idemKeys, r.Header.Get("Idempotency-Key"))
		if len(idemKeys) == 1 { // the first attempt fails: the retry must repeat the key
			return jsonAnswer(http.StatusServiceUnavailable, "application/problem+json",
				`{"type":"https://portal-sdk.invalid/problems/unavailable","title":"Unavailable","status":503,"detail":"try again","instance":"/x"}`), nil
		}
		return jsonAnswer(http.StatusOK, "application/json", keySetBody), nil
	})
	set, err := c.Keys.Regenerate(context.Background(), "123456", keys.ClientSecret)
	require.NoError(t, err)
	assert.Equal(t, vipps.Secret("s3cr3t-value-xyz"), set.ClientSecret)
	require.Len(t, idemKeys, 2)
	assert.Regexp(t, `^[a-zA-Z0-9-]{1,50}$`, idemKeys[0])
	assert.Equal(t, idemKeys[0], idemKeys[1], "one Idempotency-Key per call, reused on the retry")

	// A caller's own key is sent as given.
	idemKeys = nil
	_, err = c.Keys.Regenerate(portal.WithIdempotencyKey(context.Background(), "rotate-2026-01"), "123456", keys.ClientSecret)
	require.NoError(t, err)
	assert.Equal(t, []string{"rotate-2026-01", "rotate-2026-01"}, idemKeys)
}

func TestVerifyWire(t *testing.T) {
	mock := httpmock.NewMockTransport()
	c, err := portal.New(
		portal.WithCredentials(vipps.Credentials{ClientID: "own", ClientSecret: "own-secret", SubscriptionKey: "own-key"}),
		portal.WithBaseURL(base), portal.WithHTTPClient(&http.Client{Transport: mock}),
		portal.WithRetry(vipps.RetryPolicy{MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}))
	require.NoError(t, err)
	var seen []string
	mock.RegisterResponder(http.MethodPost, base+"/accesstoken/get", func(r *http.Request) (*http.Response, error) {
		// The key set travels in the client_id and client_secret headers (case-insensitive on the wire).
		assert.Equal(t, []string{"set-client"}, r.Header.Values("client_id"))
		assert.Equal(t, []string{"set-secret"}, r.Header.Values("client_secret"))
		assert.Equal(t, "123456", r.Header.Get("Merchant-Serial-Number"))
		assert.Empty(t, r.Header.Get("Authorization"))
		sub := r.Header.Get("Ocp-Apim-Subscription-Key")
		seen = append(seen, sub)
		if sub == "secondary-key" {
			return jsonAnswer(http.StatusUnauthorized, "application/json", `{"statusCode":401,"message":"Access denied due to invalid subscription key."}`), nil
		}
		return jsonAnswer(http.StatusOK, "application/json", `{"token_type":"Bearer","expires_in":"3600","access_token":"t"}`), nil
	})
	set := &keys.Set{MSN: "123456", Environment: "production", ClientID: "set-client", ClientSecret: "set-secret",
		SubscriptionKeyPrimary: "primary-key", SubscriptionKeySecondary: "secondary-key"}
	v, err := c.Keys.Verify(context.Background(), *set)
	require.Error(t, err)
	assert.Equal(t, []string{"primary-key", "secondary-key"}, seen, "one token request per subscription key, none from the cache")
	assert.True(t, v.PrimaryOK)
	assert.False(t, v.SecondaryOK)
	assert.False(t, v.OK())
	assert.Equal(t, base+"/accesstoken/get", v.TokenURL, "a custom base URL serves the token endpoint of every environment")
	var ke *keys.KeyError
	require.ErrorAs(t, err, &ke)
	assert.Equal(t, keys.SubscriptionKeySecondary, ke.Name)
	requireAPIError(t, err, http.StatusUnauthorized, vipps.ProblemGateway, vipps.ErrUnauthorized)
	assert.NotContains(t, err.Error(), "secondary-key")

	// Twice again: still one request each (outside the cache).
	seen = nil
	_, err = c.Keys.Verify(context.Background(), *set)
	assert.ErrorIs(t, err, vipps.ErrUnauthorized, "the secondary key is still refused")
	assert.Len(t, seen, 2)
}

func TestVerifyUsesTheEnvironmentsTokenEndpoint(t *testing.T) {
	mock := httpmock.NewMockTransport()
	c, err := portal.New(
		portal.WithCredentials(vipps.Credentials{ClientID: "own", ClientSecret: "own-secret", SubscriptionKey: "own-key"}),
		portal.WithEnvironment(vipps.Production), portal.WithHTTPClient(&http.Client{Transport: mock}))
	require.NoError(t, err)
	tok := httpmock.NewStringResponder(http.StatusOK, `{"token_type":"Bearer","expires_in":"3600","access_token":"t"}`)
	mock.RegisterResponder(http.MethodPost, "https://apitest.vipps.no/accesstoken/get", tok)
	set := &keys.Set{MSN: "223344", Environment: "test", ClientID: "c", ClientSecret: "s",
		SubscriptionKeyPrimary: "p", SubscriptionKeySecondary: "q"}
	v, err := c.Keys.Verify(context.Background(), *set)
	require.NoError(t, err)
	assert.True(t, v.OK())
	assert.Equal(t, "https://apitest.vipps.no/accesstoken/get", v.TokenURL, "a production client verifies a test set at the test token endpoint")
	assert.Equal(t, 2, mock.GetCallCountInfo()["POST https://apitest.vipps.no/accesstoken/get"])
}

// ---- validation: refused before any request, naming the field ----

func TestValidationBeforeAnyRequest(t *testing.T) {
	c, mock := newMock(t)
	ctx := context.Background()
	good := keys.Set{MSN: "123456", Environment: "production", ClientID: "c", ClientSecret: "s",
		SubscriptionKeyPrimary: "p", SubscriptionKeySecondary: "q"}
	store := func(context.Context, keys.Set, keys.Name) error { return nil }
	with := func(f func(*keys.Set)) *keys.Set { s := good; f(&s); return &s }

	cases := []struct {
		name  string
		call  func() error
		field string
	}{
		{"get short msn", func() error { _, err := c.Keys.Get(ctx, "123"); return err }, "msn"},
		{"get letters", func() error { _, err := c.Keys.Get(ctx, "12a456"); return err }, "msn"},
		{"regenerate msn", func() error { _, err := c.Keys.Regenerate(ctx, "", keys.ClientSecret); return err }, "msn"},
		{"regenerate unknown name", func() error { _, err := c.Keys.Regenerate(ctx, "123456", "password"); return err }, "name"},
		{"regenerate empty name", func() error { _, err := c.Keys.Regenerate(ctx, "123456", ""); return err }, "name"},
		{"verify msn", func() error { _, err := c.Keys.Verify(ctx, *with(func(s *keys.Set) { s.MSN = "1" })); return err }, "set.MSN"},
		{"verify environment", func() error {
			_, err := c.Keys.Verify(ctx, *with(func(s *keys.Set) { s.Environment = "staging" }))
			return err
		}, "set.Environment"},
		{"verify client id", func() error { _, err := c.Keys.Verify(ctx, *with(func(s *keys.Set) { s.ClientID = "" })); return err }, "set.ClientID"},
		{"verify client secret", func() error {
			_, err := c.Keys.Verify(ctx, *with(func(s *keys.Set) { s.ClientSecret = "" }))
			return err
		}, "set.ClientSecret"},
		{"verify primary", func() error {
			_, err := c.Keys.Verify(ctx, *with(func(s *keys.Set) { s.SubscriptionKeyPrimary = "" }))
			return err
		}, "set.SubscriptionKeyPrimary"},
		{"verify secondary", func() error {
			_, err := c.Keys.Verify(ctx, *with(func(s *keys.Set) { s.SubscriptionKeySecondary = "" }))
			return err
		}, "set.SubscriptionKeySecondary"},
		{"rotate msn", func() error {
			_, err := c.Keys.Rotate(ctx, "x", keys.RotateOptions{Strategy: noDrain, SubscriptionKeys: true, InUse: keys.SubscriptionKeyPrimary, Store: store})
			return err
		}, "msn"},
		{"rotate nothing chosen", func() error {
			_, err := c.Keys.Rotate(ctx, "123456", keys.RotateOptions{Strategy: noDrain, InUse: keys.SubscriptionKeyPrimary, Store: store})
			return err
		}, "RotateOptions"},
		{"rotate no store", func() error {
			_, err := c.Keys.Rotate(ctx, "123456", keys.RotateOptions{Strategy: noDrain, SubscriptionKeys: true, InUse: keys.SubscriptionKeyPrimary})
			return err
		}, "RotateOptions.Store"},
		{"rotate no in-use key", func() error {
			_, err := c.Keys.Rotate(ctx, "123456", keys.RotateOptions{Strategy: noDrain, SubscriptionKeys: true, Store: store})
			return err
		}, "RotateOptions.InUse"},
		{"rotate in-use not a subscription key", func() error {
			_, err := c.Keys.Rotate(ctx, "123456", keys.RotateOptions{Strategy: noDrain, SubscriptionKeys: true, InUse: keys.ClientSecret, Store: store})
			return err
		}, "RotateOptions.InUse"},
		{"rotate in-use unknown", func() error {
			_, err := c.Keys.Rotate(ctx, "123456", keys.RotateOptions{Strategy: noDrain, ClientSecret: true, InUse: "tertiary", Store: store})
			return err
		}, "RotateOptions.InUse"},
		{"rotate no strategy", func() error {
			_, err := c.Keys.Rotate(ctx, "123456", keys.RotateOptions{SubscriptionKeys: true, InUse: keys.SubscriptionKeyPrimary, Store: store})
			return err
		}, "RotateOptions.Strategy"},
		{"rotate nil strategy pointer", func() error {
			_, err := c.Keys.Rotate(ctx, "123456", keys.RotateOptions{ClientSecret: true, Store: store, Strategy: (*keys.LiveStrategy)(nil)})
			return err
		}, "RotateOptions.Strategy"},
		{"rotate live strategy without a source", func() error {
			_, err := c.Keys.Rotate(ctx, "123456", keys.RotateOptions{SubscriptionKeys: true, Store: store, Strategy: keys.LiveStrategy{}})
			return err
		}, "LiveStrategy.Source"},
		{"rotate live strategy with a negative bound", func() error {
			_, err := c.Keys.Rotate(ctx, "123456", keys.RotateOptions{SubscriptionKeys: true, Store: store,
				Strategy: keys.LiveStrategy{Source: keys.NewLiveSource(good, keys.SubscriptionKeyPrimary), MaxDrain: -time.Second}})
			return err
		}, "LiveStrategy.MaxDrain"},
		{"rotate live strategy with another current set", func() error {
			_, err := c.Keys.Rotate(ctx, "123456", keys.RotateOptions{SubscriptionKeys: true, Store: store, Current: with(func(s *keys.Set) { s.ClientSecret = "other" }),
				Strategy: keys.LiveStrategy{Source: keys.NewLiveSource(good, keys.SubscriptionKeyPrimary)}})
			return err
		}, "RotateOptions.Current"},
		{"rotate live strategy without a store", func() error {
			_, err := c.Keys.Rotate(ctx, "123456", keys.RotateOptions{SubscriptionKeys: true,
				Strategy: keys.LiveStrategy{Source: keys.NewLiveSource(good, keys.SubscriptionKeyPrimary)}})
			return err
		}, "RotateOptions.Store"},
		{"rotate nil context", func() error {
			var nilCtx context.Context // nil on purpose
			_, err := c.Keys.Rotate(nilCtx, "123456", keys.RotateOptions{ClientSecret: true, Store: store, Strategy: noDrain})
			return err
		}, "ctx"},
		{"rotate current of another unit", func() error {
			_, err := c.Keys.Rotate(ctx, "123457", keys.RotateOptions{Strategy: noDrain, ClientSecret: true, Current: &good, Store: store})
			return err
		}, "RotateOptions.Current.MSN"},
		{"rotate current incomplete", func() error {
			_, err := c.Keys.Rotate(ctx, "123456", keys.RotateOptions{Strategy: noDrain, ClientSecret: true, Store: store,
				Current: with(func(s *keys.Set) { s.ClientSecret = "" })})
			return err
		}, "RotateOptions.Current.ClientSecret"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			requireInvalid(t, tc.call(), tc.field)
		})
	}
	assert.Zero(t, mock.GetTotalCallCount(), "no request was sent")
}

func TestNoPortalURL(t *testing.T) {
	c, err := portal.New(portal.WithCredentials(vipps.Credentials{ClientID: "c", ClientSecret: "s", SubscriptionKey: "k"}))
	require.NoError(t, err)
	_, err = c.Keys.Get(context.Background(), "123456")
	assert.ErrorIs(t, err, vipps.ErrUnsupported)
	_, err = c.Keys.Regenerate(context.Background(), "123456", keys.SubscriptionKeyPrimary)
	assert.ErrorIs(t, err, vipps.ErrUnsupported)
}

// ---- against the simulator ----

func TestGetSimulator(t *testing.T) {
	s := newSim(t)
	ctx := context.Background()
	c := s.AdminClient(fastRetry)

	set, err := c.Keys.Get(ctx, portaltest.ProductionMSN)
	require.NoError(t, err)
	assert.Equal(t, simSet(t, s, portaltest.ProductionMSN), *set)
	assert.Equal(t, vipps.Production, set.Environment)
	assert.False(t, set.UpdatedAt.IsZero())

	reqs := loggedRequests(t, s, "getKeys", 1)
	require.Len(t, reqs, 1)
	r := reqs[0]
	assert.Equal(t, http.MethodGet, r.Method)
	assert.Equal(t, "/portal/v1/sales-units/"+portaltest.ProductionMSN+"/keys", r.Path)
	assert.Equal(t, http.StatusOK, r.Status)
	assert.Equal(t, "REDACTED", r.Header.Get("Authorization"), "a bearer token was sent")
	assert.NotEmpty(t, r.Header.Get("Ocp-Apim-Subscription-Key"))
	assert.Equal(t, "vippsportal-sdk-go/"+vipps.Version, r.Header.Get("User-Agent"))
	assert.Empty(t, r.IdempotencyKey)

	// A test unit's keys too.
	tset, err := c.Keys.Get(ctx, portaltest.TestMSN)
	require.NoError(t, err)
	assert.Equal(t, vipps.Test, tset.Environment)

	// The developer holds DEVELOPER on 123456 but not on 123457.
	dev := simClient(t, s, s.UserCredentials(portaltest.DeveloperUserID))
	_, err = dev.Keys.Get(ctx, portaltest.ProductionMSN)
	require.NoError(t, err)
	_, err = dev.Keys.Get(ctx, portaltest.SecondProductionMSN)
	requireAPIError(t, err, http.StatusForbidden, vipps.ProblemKeysHidden, vipps.ErrForbidden)

	// The assistant holds only TRANSACTION_MANAGEMENT.
	asst := simClient(t, s, s.UserCredentials(portaltest.AssistantUserID))
	_, err = asst.Keys.Get(ctx, portaltest.SecondProductionMSN)
	requireAPIError(t, err, http.StatusForbidden, vipps.ProblemKeysHidden, vipps.ErrForbidden)

	// Another merchant's unit, and one that does not exist: 404 alike.
	_, err = c.Keys.Get(ctx, portaltest.OtherMSN)
	requireAPIError(t, err, http.StatusNotFound, vipps.ProblemNotFound, vipps.ErrNotFound)
	_, err = c.Keys.Get(ctx, "99999999")
	requireAPIError(t, err, http.StatusNotFound, vipps.ProblemNotFound, vipps.ErrNotFound)

	// A unit's own keys and a partner are not portal users.
	unit := simClient(t, s, s.UnitCredentials(portaltest.ProductionMSN))
	_, err = unit.Keys.Get(ctx, portaltest.ProductionMSN)
	requireAPIError(t, err, http.StatusForbidden, vipps.ProblemNotAPortalUser, vipps.ErrForbidden)
	partner := simClient(t, s, s.PartnerCredentials(portaltest.PartnerID))
	_, err = partner.Keys.Get(ctx, portaltest.ProductionMSN)
	requireAPIError(t, err, http.StatusForbidden, vipps.ProblemNotAPortalUser, vipps.ErrForbidden)

	// A wrong subscription key: the gateway.
	bad := s.UserCredentials(portaltest.AdminUserID)
	bad.SubscriptionKey = "00000000000000000000000000000000"
	_, err = simClient(t, s, bad).Keys.Get(ctx, portaltest.ProductionMSN)
	requireAPIError(t, err, http.StatusUnauthorized, vipps.ProblemGateway, vipps.ErrUnauthorized)
}

func TestRegenerateSimulator(t *testing.T) {
	s := newSim(t)
	ctx := context.Background()
	c := s.AdminClient(fastRetry)
	before := simSet(t, s, portaltest.ProductionMSN)

	for _, n := range []keys.Name{keys.SubscriptionKeyPrimary, keys.SubscriptionKeySecondary, keys.ClientSecret, keys.ClientID} {
		prev := simSet(t, s, portaltest.ProductionMSN)
		set, err := c.Keys.Regenerate(ctx, portaltest.ProductionMSN, n)
		require.NoError(t, err, n)
		assert.Equal(t, simSet(t, s, portaltest.ProductionMSN), *set, "the answer is the whole new set")
		assert.True(t, set.UpdatedAt.After(prev.UpdatedAt), "updatedAt moves")
		switch n {
		case keys.SubscriptionKeyPrimary:
			assert.NotEqual(t, prev.SubscriptionKeyPrimary, set.SubscriptionKeyPrimary)
			assert.Equal(t, prev.SubscriptionKeySecondary, set.SubscriptionKeySecondary)
			assert.Regexp(t, `^[0-9a-f]{32}$`, set.SubscriptionKeyPrimary.Reveal())
			// The old primary is refused by the gateway at once.
			err := tokenFor(t, s, credsOf(prev, keys.SubscriptionKeyPrimary))
			requireAPIError(t, err, http.StatusUnauthorized, vipps.ProblemGateway, vipps.ErrUnauthorized)
		case keys.SubscriptionKeySecondary:
			assert.NotEqual(t, prev.SubscriptionKeySecondary, set.SubscriptionKeySecondary)
			assert.Equal(t, prev.SubscriptionKeyPrimary, set.SubscriptionKeyPrimary)
		case keys.ClientSecret:
			assert.NotEqual(t, prev.ClientSecret, set.ClientSecret)
			assert.Equal(t, prev.ClientID, set.ClientID)
			err := tokenFor(t, s, credsOf(withLiveSubKeys(prev, *set), keys.SubscriptionKeyPrimary))
			requireAPIError(t, err, http.StatusUnauthorized, "invalid_client", vipps.ErrUnauthorized)
		case keys.ClientID:
			assert.NotEqual(t, prev.ClientID, set.ClientID)
			assert.Equal(t, prev.ClientSecret, set.ClientSecret, "regenerating clientId keeps the secret")
		}
		v, err := c.Keys.Verify(ctx, *set)
		require.NoError(t, err, "the new set works")
		assert.True(t, v.OK())
	}
	assert.Equal(t, 4, s.Effects("regenerateKey"))
	assert.NotEqual(t, before, simSet(t, s, portaltest.ProductionMSN))

	reqs := loggedRequests(t, s, "regenerateKey", 4)
	require.Len(t, reqs, 4)
	for _, r := range reqs {
		assert.Equal(t, http.MethodPost, r.Method)
		assert.Equal(t, "/portal/v1/sales-units/"+portaltest.ProductionMSN+"/keys/regenerate", r.Path)
		assert.Regexp(t, `^[a-zA-Z0-9-]{1,50}$`, r.IdempotencyKey)
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
		assert.Equal(t, http.StatusOK, r.Status)
	}

	// Permissions and resources, as for getKeys.
	dev := simClient(t, s, s.UserCredentials(portaltest.DeveloperUserID))
	_, err := dev.Keys.Regenerate(ctx, portaltest.SecondProductionMSN, keys.SubscriptionKeyPrimary)
	requireAPIError(t, err, http.StatusForbidden, vipps.ProblemKeysHidden, vipps.ErrForbidden)
	asst := simClient(t, s, s.UserCredentials(portaltest.AssistantUserID))
	_, err = asst.Keys.Regenerate(ctx, portaltest.ProductionMSN, keys.SubscriptionKeyPrimary)
	requireAPIError(t, err, http.StatusForbidden, vipps.ProblemKeysHidden, vipps.ErrForbidden)
	_, err = c.Keys.Regenerate(ctx, portaltest.OtherMSN, keys.SubscriptionKeyPrimary)
	requireAPIError(t, err, http.StatusNotFound, vipps.ProblemNotFound, vipps.ErrNotFound)
	assert.Equal(t, 4, s.Effects("regenerateKey"), "refused requests change nothing")
}

// withLiveSubKeys is prev's client id and secret with cur's subscription keys
// (which are live), so that a token request tests only the client credentials.
func withLiveSubKeys(prev, cur keys.Set) keys.Set {
	prev.SubscriptionKeyPrimary, prev.SubscriptionKeySecondary = cur.SubscriptionKeyPrimary, cur.SubscriptionKeySecondary
	return prev
}

func TestKeysNotReady(t *testing.T) {
	s := newSim(t, portaltest.WithManualProvisioning())
	ctx := context.Background()
	c := s.AdminClient(fastRetry)
	cr, err := c.TestUnits.Create(ctx, salesunit.TestUnitRequest{Name: "Fresh shop"})
	require.NoError(t, err)
	msn, err := s.CompleteCreation(cr.CreationID)
	require.NoError(t, err)

	_, err = c.Keys.Get(ctx, msn)
	e := requireAPIError(t, err, http.StatusConflict, vipps.ProblemKeysNotReady, vipps.ErrKeysNotReady)
	assert.ErrorIs(t, err, vipps.ErrConflict)
	assert.Positive(t, e.RetryAfter, "keys-not-ready carries Retry-After")
	assert.True(t, e.Temporary())

	_, err = c.Keys.Regenerate(ctx, msn, keys.SubscriptionKeyPrimary)
	requireAPIError(t, err, http.StatusConflict, vipps.ProblemKeysNotReady, vipps.ErrKeysNotReady)
	assert.Zero(t, s.Effects("regenerateKey"))

	require.NoError(t, s.IssueKeys(msn))
	set, err := c.Keys.Get(ctx, msn)
	require.NoError(t, err)
	assert.Equal(t, vipps.Test, set.Environment)
	assert.Equal(t, msn, set.MSN)
	_, err = c.Keys.Verify(ctx, *set)
	require.NoError(t, err)
}

func TestVerifySimulator(t *testing.T) {
	s := newSim(t)
	ctx := context.Background()
	c := s.AdminClient(fastRetry)
	set := simSet(t, s, portaltest.ProductionMSN)

	s.ResetRequests()
	v, err := c.Keys.Verify(ctx, set)
	require.NoError(t, err)
	assert.True(t, v.PrimaryOK && v.SecondaryOK && v.OK())
	assert.Equal(t, s.URL+"/accesstoken/get", v.TokenURL)
	reqs := loggedRequests(t, s, "fetchAuthorizationTokenUsingPost", 2)
	require.Len(t, reqs, 2, "one token request per subscription key")
	for _, r := range reqs {
		assert.Equal(t, "/accesstoken/get", r.Path)
		assert.Equal(t, set.ClientID, r.Header.Get("client_id"))
		assert.Equal(t, portaltest.ProductionMSN, r.Header.Get("Merchant-Serial-Number"))
		assert.Equal(t, http.StatusOK, r.Status)
	}

	// A wrong secret: 401 invalid_client for both keys.
	wrong := set
	wrong.ClientSecret = "not-the-secret"
	v, err = c.Keys.Verify(ctx, wrong)
	require.Error(t, err)
	assert.False(t, v.PrimaryOK || v.SecondaryOK)
	assert.False(t, v.Works(keys.ClientSecret))
	requireAPIError(t, err, http.StatusUnauthorized, "invalid_client", vipps.ErrUnauthorized)
	var ke *keys.KeyError
	require.ErrorAs(t, err, &ke)
	assert.NotContains(t, err.Error(), "not-the-secret")
	assert.NotContains(t, err.Error(), set.SubscriptionKeyPrimary.Reveal())
	// The client credentials are to blame, not the subscription keys (which passed the gateway).
	assert.Equal(t, keys.ClientSecret, ke.Name)
	require.Len(t, err.(interface{ Unwrap() []error }).Unwrap(), 1, "one error, for the client: %v", err)
	assert.Contains(t, err.Error(), "the client id or client secret of sales unit "+portaltest.ProductionMSN+" does not work")
	assert.NotContains(t, err.Error(), "subscriptionKeyPrimary")
	assert.NotContains(t, err.Error(), "subscriptionKeySecondary")
	assert.Same(t, v.ClientErr, v.PrimaryErr)
	assert.Same(t, v.ClientErr, v.SecondaryErr)
	assert.Equal(t, "sales unit "+portaltest.ProductionMSN+" (production): the client id or client secret is REFUSED (401 invalid_client); "+
		"subscriptionKeyPrimary passed the gateway, subscriptionKeySecondary passed the gateway", v.String())

	// A wrong secondary key: the gateway refuses it; the primary still works.
	wrong = set
	wrong.SubscriptionKeySecondary = "0000000000000000000000000000dead"
	v, err = c.Keys.Verify(ctx, wrong)
	require.Error(t, err)
	assert.True(t, v.PrimaryOK)
	assert.False(t, v.SecondaryOK)
	assert.True(t, v.Works(keys.ClientSecret), "the client credentials got a token with the primary")
	requireAPIError(t, err, http.StatusUnauthorized, vipps.ProblemGateway, vipps.ErrUnauthorized)
	assert.Contains(t, v.String(), "subscriptionKeySecondary FAILS")
	assert.NotContains(t, v.String(), "REFUSED")
	assert.Nil(t, v.ClientErr)
	require.ErrorAs(t, err, &ke)
	assert.Equal(t, keys.SubscriptionKeySecondary, ke.Name, "the gateway's 401 blames the key")
	assert.Contains(t, err.Error(), "subscriptionKeySecondary of sales unit "+portaltest.ProductionMSN+" does not work")
	assert.NotContains(t, err.Error(), "client secret")
}

func TestRegenerateLostResponse(t *testing.T) {
	s := newSim(t)
	ctx := context.Background()
	c := s.AdminClient(fastRetry)
	prev := simSet(t, s, portaltest.ProductionMSN)
	s.InjectFault(portaltest.Fault{Operation: "regenerateKey", DropAfterWork: true})

	set, err := c.Keys.Regenerate(ctx, portaltest.ProductionMSN, keys.ClientSecret)
	require.NoError(t, err, "the retry with the same Idempotency-Key answers the stored set")
	assert.Equal(t, 1, s.Effects("regenerateKey"), "exactly one regeneration")
	assert.Equal(t, 1, s.FaultsInjected())
	assert.NotEqual(t, prev.ClientSecret, set.ClientSecret)
	assert.Equal(t, simSet(t, s, portaltest.ProductionMSN), *set, "the caller holds the secret now in force")

	// Count the dropped attempt and its replay.
	reqs := loggedRequests(t, s, "regenerateKey", 2)
	require.Len(t, reqs, 2)
	dropped, replayed := 0, 0
	for _, r := range reqs {
		assert.Equal(t, reqs[0].IdempotencyKey, r.IdempotencyKey, "one key for the call and its retry")
		if r.Status == 0 {
			dropped++
		}
		if r.Replayed && r.Status == http.StatusOK {
			replayed++
		}
	}
	assert.Equal(t, 1, dropped, "the first answer was dropped")
	assert.Equal(t, 1, replayed, "the retry was answered with the stored set")

	// The secret the caller holds gets a token.
	require.NoError(t, tokenFor(t, s, credsOf(*set, keys.SubscriptionKeyPrimary)))
	_, err = c.Keys.Verify(ctx, *set)
	require.NoError(t, err)
}

func TestGetTransientErrorsAreRetried(t *testing.T) {
	s := newSim(t)
	c := s.AdminClient(fastRetry)
	s.InjectFault(portaltest.Fault{Operation: "getKeys", Status: http.StatusServiceUnavailable})
	set, err := c.Keys.Get(context.Background(), portaltest.ProductionMSN)
	require.NoError(t, err)
	assert.Equal(t, portaltest.ProductionMSN, set.MSN)
	assert.Len(t, loggedRequests(t, s, "getKeys", 2), 2)

	s.InjectFault(portaltest.Fault{Operation: "getKeys", Status: http.StatusInternalServerError, Times: -1})
	_, err = c.Keys.Get(context.Background(), portaltest.ProductionMSN)
	requireAPIError(t, err, http.StatusInternalServerError, vipps.ProblemInternal, vipps.ErrServer)
	s.ClearFaults()
	assert.False(t, errors.Is(err, vipps.ErrNotFound))
}
