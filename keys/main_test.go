package keys_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/vippsportal/sdk/internal/sdktest"
	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/vipps"
)

// TestMain fails the package's tests if any goroutine outlives them.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The shared helpers live in internal/sdktest; these names keep this
// package's tests short.
var (
	newSim          = sdktest.NewSim
	simClient       = sdktest.SimClient
	fastRetry       = sdktest.FastRetry()
	requireAPIError = sdktest.RequireAPIError
	requireInvalid  = sdktest.RequireInvalid
)

// credsOf are the credentials of set with subscription key n.
func credsOf(set keys.Set, n keys.Name) vipps.Credentials {
	return vipps.Credentials{ClientID: set.ClientID, ClientSecret: set.ClientSecret, SubscriptionKey: set.SubscriptionKey(n), MSN: set.MSN}
}

// simSet is the unit's current key set in the simulator, as a keys.Set.
func simSet(t *testing.T, s *portaltest.Server, msn string) keys.Set {
	t.Helper()
	k, ok := s.UnitKeys(msn)
	require.True(t, ok, "unit %s has keys", msn)
	return keys.RevealedSet{MSN: k.MSN, Environment: vipps.Environment(k.Environment), ClientID: k.ClientID, ClientSecret: k.ClientSecret,
		SubscriptionKeyPrimary: k.SubscriptionKeyPrimary, SubscriptionKeySecondary: k.SubscriptionKeySecondary,
		UpdatedAt: k.UpdatedAt}.Set()
}

// loggedRequests returns the simulator's logged requests of op, at least n of
// them: the simulator logs a request before it answers (or drops) it, so every
// request the client has finished with is there.
func loggedRequests(t *testing.T, s *portaltest.Server, op string, n int) []portaltest.LoggedRequest {
	t.Helper()
	reqs := s.RequestsOf(op)
	require.GreaterOrEqual(t, len(reqs), n, "the simulator logged %d %s requests", n, op)
	return reqs
}

// integration is a merchant backend calling the Management API with the
// unit's own keys. It uses the set and subscription key in its store; a
// Switch replaces the client it holds.
type integration struct {
	t *testing.T
	s *portaltest.Server

	mu     sync.Mutex
	set    keys.Set
	inUse  keys.Name
	client *portal.Client // built from set and inUse; reused, so its token is cached
	calls  int
	fails  []string
}

func newIntegration(t *testing.T, s *portaltest.Server, msn string, inUse keys.Name) *integration {
	in := &integration{t: t, s: s}
	in.use(simSet(t, s, msn), inUse)
	return in
}

// use switches the integration to set with subscription key inUse.
func (in *integration) use(set keys.Set, inUse keys.Name) {
	c := simClient(in.t, in.s, credsOf(set, inUse))
	in.mu.Lock()
	defer in.mu.Unlock()
	in.set, in.inUse, in.client = set, inUse, c
}

// call makes one Management API call as the integration would, recording a failure with its moment.
func (in *integration) call(when string) {
	in.mu.Lock()
	c := in.client
	in.calls++
	in.mu.Unlock()
	_, err := c.SalesUnits.Get(context.Background(), portaltest.ProductionMSN)
	if err != nil {
		in.mu.Lock()
		in.fails = append(in.fails, when+": "+err.Error())
		in.mu.Unlock()
	}
}

func (in *integration) requireAlwaysWorked(minCalls int) {
	in.t.Helper()
	in.mu.Lock()
	defer in.mu.Unlock()
	require.Empty(in.t, in.fails, "the integration failed during the rotation")
	require.GreaterOrEqual(in.t, in.calls, minCalls)
}

// tokenFor asks the simulator's token endpoint for a token with creds (a fresh
// client, so no cache), by way of a Management call.
func tokenFor(t *testing.T, s *portaltest.Server, creds vipps.Credentials) error {
	t.Helper()
	_, err := simClient(t, s, creds).SalesUnits.Get(context.Background(), portaltest.ProductionMSN)
	return err
}

// noDrain: these rotations run with no concurrent calls (the integration calls
// from OnStep), so they skip the bounded drain of the pattern without a live source.
var noDrain = keys.DrainStrategy{Drain: -1}

// regenerateVia is Rotate's default replacement (the portal's regenerateKey
// through c) as a ReplacerFunc, for a test to wrap.
func regenerateVia(c *portal.Client) keys.ReplacerFunc {
	return func(ctx context.Context, r keys.Replacement) (keys.Set, error) {
		set, err := c.Keys.Regenerate(ctx, r.Current.MSN, r.Name)
		if err != nil {
			return keys.Set{}, err
		}
		return *set, nil
	}
}
