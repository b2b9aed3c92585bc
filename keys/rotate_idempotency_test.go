package keys_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
)

// A caller's Idempotency-Key names the whole rotation: each regeneration gets
// its own key derived from it, so the second is not refused as a reuse (409),
// and repeating the rotation with the same key replays instead of redoing.
func TestRotateWithCallersIdempotencyKey(t *testing.T) {
	s := newSim(t)
	c := s.AdminClient(fastRetry)
	before := simSet(t, s, portaltest.ProductionMSN)
	ctx := portal.WithIdempotencyKey(context.Background(), "rotation-2026-12-01-production-unit")
	opts := keys.RotateOptions{SubscriptionKeys: true, ClientSecret: true, InUse: keys.SubscriptionKeyPrimary, Store: (&memStore{}).store, Strategy: noDrain}
	rep, err := c.Keys.Rotate(ctx, portaltest.ProductionMSN, opts)
	require.NoError(t, err)
	assert.Equal(t, []keys.Name{keys.SubscriptionKeySecondary, keys.SubscriptionKeyPrimary, keys.ClientSecret}, rep.Rotated)
	after := simSet(t, s, portaltest.ProductionMSN)
	assert.NotEqual(t, before.SubscriptionKeyPrimary, after.SubscriptionKeyPrimary)
	assert.NotEqual(t, before.SubscriptionKeySecondary, after.SubscriptionKeySecondary)
	assert.NotEqual(t, before.ClientSecret, after.ClientSecret)
	assert.Equal(t, 3, s.Effects("regenerateKey"), "three regenerations, each done once")
}
