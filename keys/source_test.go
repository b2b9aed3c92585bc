package keys_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
)

// liveClient is a client of the unit's own keys read from src.
func liveClient(t *testing.T, s *portaltest.Server, src keys.Source, opts ...portal.Option) *portal.Client {
	t.Helper()
	// The credentials portaltest sets are replaced by the source.
	return simClient(t, s, portaltest.Credentials{ClientID: "ignored", ClientSecret: "ignored", SubscriptionKey: "ignored"},
		append([]portal.Option{portal.WithKeySource(src)}, opts...)...)
}

func TestLiveSourceChangeNeedsNoRestart(t *testing.T) {
	s := newSim(t)
	ctx := context.Background()
	admin := s.AdminClient(fastRetry)
	live := keys.NewLiveSource(simSet(t, s, portaltest.ProductionMSN), keys.SubscriptionKeyPrimary)
	c := liveClient(t, s, live)
	_, err := c.SalesUnits.Get(ctx, portaltest.ProductionMSN)
	require.NoError(t, err)

	// The key in use is replaced behind the client's back: the gateway refuses it,
	// and reloading the (unchanged) source does not help.
	next, err := admin.Keys.Regenerate(ctx, portaltest.ProductionMSN, keys.SubscriptionKeyPrimary)
	require.NoError(t, err)
	_, err = c.SalesUnits.Get(ctx, portaltest.ProductionMSN)
	requireAPIError(t, err, http.StatusUnauthorized, portal.ProblemGateway, portal.ErrUnauthorized)

	// Storing the new set is enough: the same client uses it on its next call.
	require.NoError(t, live.Store(ctx, *next, keys.SubscriptionKeyPrimary))
	_, err = c.SalesUnits.Get(ctx, portaltest.ProductionMSN)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), live.Version())

	// A new client secret too: the next token request uses it.
	next, err = admin.Keys.Regenerate(ctx, portaltest.ProductionMSN, keys.ClientSecret)
	require.NoError(t, err)
	require.NoError(t, live.Store(ctx, *next, keys.SubscriptionKeySecondary))
	fresh := liveClient(t, s, live) // no token cached: it must ask with the new secret
	_, err = fresh.SalesUnits.Get(ctx, portaltest.ProductionMSN)
	require.NoError(t, err)
}

func TestLiveSourceStoreRefusesBadInput(t *testing.T) {
	set := keys.Set{MSN: "123456", Environment: "production", ClientID: "id", ClientSecret: "s", SubscriptionKeyPrimary: "p", SubscriptionKeySecondary: "q"}
	live := keys.NewLiveSource(set, keys.SubscriptionKeyPrimary)
	requireInvalid(t, live.Store(context.Background(), set, keys.ClientSecret), "inUse")
	bad := set
	bad.ClientID = ""
	requireInvalid(t, live.Store(context.Background(), bad, keys.SubscriptionKeyPrimary), "set.ClientID")
	got, n := live.Current()
	assert.Equal(t, set, got, "a refused set is not stored")
	assert.Equal(t, keys.SubscriptionKeyPrimary, n)

	_, err := portal.New(portal.WithKeySource(keys.NewLiveSource(set, "")))
	requireInvalid(t, err, "WithKeySource")
}

func TestLiveSourceStoreWaitsForTheOldKeysRequests(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		set := keys.Set{MSN: "123456", Environment: "production", ClientID: "id", ClientSecret: "s", SubscriptionKeyPrimary: "p", SubscriptionKeySecondary: "q"}
		live := keys.NewLiveSource(set, keys.SubscriptionKeyPrimary)
		_, n1, done1 := live.Keys()
		_, _, done2 := live.Keys()
		require.Equal(t, keys.SubscriptionKeyPrimary, n1)
		assert.Equal(t, 2, live.InFlight(keys.SubscriptionKeyPrimary))

		stored := make(chan error, 1)
		go func() { stored <- live.Store(context.Background(), set, keys.SubscriptionKeySecondary) }()
		synctest.Wait()
		// The switch is made at once: new requests carry the secondary ...
		_, n, doneNew := live.Keys()
		assert.Equal(t, keys.SubscriptionKeySecondary, n)
		doneNew()
		// ... but Store returns only once the primary's requests are answered.
		select {
		case err := <-stored:
			t.Fatalf("Store returned with requests of the old key in flight: %v", err)
		default:
		}
		done1()
		done1() // idempotent
		synctest.Wait()
		assert.Len(t, stored, 0)
		done2()
		synctest.Wait()
		require.NoError(t, <-stored)
		assert.Zero(t, live.InFlight(keys.SubscriptionKeyPrimary))
	})
}

func TestLiveSourceDrainIsBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		set := keys.Set{MSN: "123456", Environment: "production", ClientID: "id", ClientSecret: "s", SubscriptionKeyPrimary: "p", SubscriptionKeySecondary: "q"}
		live := keys.NewLiveSource(set, keys.SubscriptionKeyPrimary)
		_, _, done := live.Keys() // a request that never ends
		defer done()
		start := time.Now()
		err := live.Store(context.Background(), set, keys.SubscriptionKeySecondary)
		var de *keys.DrainError
		require.ErrorAs(t, err, &de)
		assert.Equal(t, keys.SubscriptionKeyPrimary, de.Key)
		assert.Equal(t, 1, de.InFlight)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, keys.DefaultMaxDrain, time.Since(start), "fake clock: waited exactly the bound")
		_, n := live.Current()
		assert.Equal(t, keys.SubscriptionKeySecondary, n, "the new set is in use all the same")
	})
}

func TestLiveSourcePrintsNoSecret(t *testing.T) {
	set := keys.Set{MSN: "123456", Environment: "production", ClientID: "id", ClientSecret: "Sup3r-S3cret-Value",
		SubscriptionKeyPrimary: "prim4ry-k3y-value", SubscriptionKeySecondary: "second4ry-k3y-value"}
	live := keys.NewLiveSource(set, keys.SubscriptionKeyPrimary)
	b, err := json.Marshal(live)
	require.NoError(t, err)
	for _, out := range []string{fmt.Sprintf("%v %+v %#v %s", live, live, live, live), string(b)} {
		for _, v := range []string{"Sup3r-S3cret-Value", "prim4ry-k3y-value", "second4ry-k3y-value"} {
			assert.NotContains(t, out, v)
		}
	}
	assert.Contains(t, live.String(), "123456")
}
