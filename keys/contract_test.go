package keys_test

// Every request the Keys service sends (Verify and Rotate included), and every
// answer the simulator gives it, checked against the wire contract
// (portal/openapi.yaml).

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/internal/contracttest"
	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/salesunit"
	"github.com/vippsportal/sdk/vipps"
)

func TestRequestsFollowTheContract(t *testing.T) {
	s := newSim(t, portaltest.WithManualProvisioning())
	check := contracttest.New(t)
	client := func(cr vipps.Credentials) *portal.Client {
		cr.MSN = portaltest.ProductionMSN
		c, err := s.Client(cr, portal.WithSystem("contract-test", "1.0.0", "keys", "0.1"),
			portal.WithHTTPClient(check.HTTPClient()))
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
	_, err = c.Keys.Verify(ctx, *set)
	require.NoError(t, err)
	st := &memStore{}
	_, err = c.Keys.Rotate(ctx, portaltest.TestMSN, keys.RotateOptions{Strategy: noDrain, SubscriptionKeys: true, ClientSecret: true,
		InUse: keys.SubscriptionKeyPrimary, Store: st.store})
	require.NoError(t, err)

	// Error answers are checked as well.
	wrong := *set
	wrong.ClientSecret = "wrong"
	_, err = c.Keys.Verify(ctx, wrong)
	require.ErrorIs(t, err, vipps.ErrUnauthorized)
	wrong = *set
	wrong.SubscriptionKeyPrimary = "00000000000000000000000000000000"
	_, err = c.Keys.Verify(ctx, wrong)
	require.ErrorIs(t, err, vipps.ErrUnauthorized)
	_, err = c.Keys.Get(ctx, portaltest.OtherMSN)
	require.ErrorIs(t, err, vipps.ErrNotFound)
	_, err = client(s.UserCredentials(portaltest.AssistantUserID)).Keys.Regenerate(ctx, portaltest.ProductionMSN, keys.ClientSecret)
	require.ErrorIs(t, err, vipps.ErrForbidden)
	_, err = client(s.UnitCredentials(portaltest.ProductionMSN)).Keys.Get(ctx, portaltest.ProductionMSN)
	require.ErrorIs(t, err, vipps.ErrForbidden)
	cr, err := c.TestUnits.Create(ctx, salesunit.TestUnitRequest{Name: "Contract shop"})
	require.NoError(t, err)
	msn, err := s.CompleteCreation(cr.CreationID)
	require.NoError(t, err)
	_, err = c.Keys.Get(ctx, msn)
	require.ErrorIs(t, err, vipps.ErrKeysNotReady)
	_, err = c.Keys.Regenerate(ctx, msn, keys.SubscriptionKeyPrimary)
	require.ErrorIs(t, err, vipps.ErrKeysNotReady)

	for _, op := range []string{"fetchAuthorizationTokenUsingPost", "getKeys", "regenerateKey"} {
		assert.Positive(t, check.Seen(op), "operation %s was exercised", op)
	}
	assert.Equal(t, 4+3+2, check.Seen("regenerateKey"), "4 alone, 3 in the rotation, the 403 and the 409")
}
