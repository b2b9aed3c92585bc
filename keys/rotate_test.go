package keys_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/vipps"
)

// memStore is a Store that keeps every set it was given.
type memStore struct {
	mu     sync.Mutex
	sets   []keys.Set
	inUse  []keys.Name
	failOn int // fail the nth call (1-based); 0 never
	calls  int
}

func (m *memStore) store(_ context.Context, set keys.Set, inUse keys.Name) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.calls == m.failOn {
		return errors.New("disk full")
	}
	m.sets = append(m.sets, set)
	m.inUse = append(m.inUse, inUse)
	return nil
}

func (m *memStore) last() (keys.Set, keys.Name) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sets[len(m.sets)-1], m.inUse[len(m.inUse)-1]
}

func actions(r *keys.RotationReport) []string {
	var out []string
	for _, st := range r.Steps {
		out = append(out, st.String())
	}
	return out
}

func TestRotateSubscriptionKeysWithoutDowntime(t *testing.T) {
	for _, mode := range []string{"store is the switch", "explicit switch"} {
		t.Run(mode, func(t *testing.T) {
			s := newSim(t)
			ctx := context.Background()
			c := s.AdminClient(fastRetry)
			before := simSet(t, s, portaltest.ProductionMSN)
			in := newIntegration(t, s, portaltest.ProductionMSN, keys.SubscriptionKeyPrimary)
			in.call("before")

			st := &memStore{}
			opts := keys.RotateOptions{
				Strategy:         noDrain,
				SubscriptionKeys: true,
				InUse:            keys.SubscriptionKeyPrimary,
				OnStep:           func(step keys.RotationStep) { in.call("after " + string(step.Action) + " " + string(step.Key)) },
			}
			if mode == "store is the switch" {
				opts.Store = func(ctx context.Context, set keys.Set, inUse keys.Name) error {
					in.call("store, before saving")
					require.NoError(t, st.store(ctx, set, inUse))
					in.use(set, inUse) // the integration reads its keys from the store
					in.call("store, after saving")
					return nil
				}
			} else {
				opts.Store = func(ctx context.Context, set keys.Set, inUse keys.Name) error {
					in.call("store")
					return st.store(ctx, set, inUse)
				}
				opts.Switch = func(_ context.Context, set keys.Set, inUse keys.Name) error {
					in.call("switch, before")
					in.use(set, inUse)
					in.call("switch, after")
					return nil
				}
			}

			rep, err := c.Keys.Rotate(ctx, portaltest.ProductionMSN, opts)
			require.NoError(t, err)
			in.call("after the rotation")
			in.requireAlwaysWorked(12)

			after := simSet(t, s, portaltest.ProductionMSN)
			assert.NotEqual(t, before.SubscriptionKeyPrimary, after.SubscriptionKeyPrimary)
			assert.NotEqual(t, before.SubscriptionKeySecondary, after.SubscriptionKeySecondary)
			assert.Equal(t, before.ClientSecret, after.ClientSecret, "the client secret was not asked for")
			assert.Equal(t, 2, s.Effects("regenerateKey"))

			last, lastInUse := st.last()
			assert.Equal(t, after, last, "the store holds the set in force")
			assert.Equal(t, keys.SubscriptionKeySecondary, lastInUse)
			require.Len(t, st.sets, 2)
			assert.Equal(t, before.SubscriptionKeyPrimary, st.sets[0].SubscriptionKeyPrimary, "the key in use was replaced only after the switch")

			assert.Equal(t, []keys.Name{keys.SubscriptionKeySecondary, keys.SubscriptionKeyPrimary}, rep.Rotated)
			assert.Equal(t, keys.SubscriptionKeySecondary, rep.InUse)
			assert.Equal(t, after.UpdatedAt, rep.UpdatedAt)
			assert.Equal(t, portaltest.ProductionMSN, rep.MSN)
			assert.Equal(t, vipps.Production, rep.Environment)
			want := []string{"fetch", "token subscriptionKeyPrimary",
				"regenerate subscriptionKeySecondary", "verify subscriptionKeySecondary",
				"store new subscriptionKeySecondary"}
			if opts.Switch != nil {
				want = append(want, "switch subscriptionKeySecondary")
			}
			// The label names the key that changed (the primary), not the one in use.
			want = append(want, "regenerate subscriptionKeyPrimary", "verify subscriptionKeyPrimary",
				"store new subscriptionKeyPrimary")
			assert.Equal(t, want, actions(rep))
			for i := 1; i < len(rep.Steps); i++ {
				assert.False(t, rep.Steps[i].At.Before(rep.Steps[i-1].At))
			}
			assert.False(t, rep.Finished.Before(rep.Started))

			// The replaced keys are refused by the gateway.
			err = tokenFor(t, s, credsOf(before, keys.SubscriptionKeyPrimary))
			requireAPIError(t, err, http.StatusUnauthorized, vipps.ProblemGateway, vipps.ErrUnauthorized)
			err = tokenFor(t, s, credsOf(before, keys.SubscriptionKeySecondary))
			requireAPIError(t, err, http.StatusUnauthorized, vipps.ProblemGateway, vipps.ErrUnauthorized)
		})
	}
}

func TestRotateClientSecret(t *testing.T) {
	s := newSim(t)
	ctx := context.Background()
	c := s.AdminClient(fastRetry)
	before := simSet(t, s, portaltest.ProductionMSN)
	in := newIntegration(t, s, portaltest.ProductionMSN, keys.SubscriptionKeyPrimary)
	in.call("before") // its token is cached from here on
	old := in.client

	st := &memStore{}
	rep, err := c.Keys.Rotate(ctx, portaltest.ProductionMSN, keys.RotateOptions{
		Strategy:     noDrain,
		ClientSecret: true, Current: &before, Store: st.store,
		OnStep: func(step keys.RotationStep) { in.call("after " + string(step.Action)) },
	})
	require.NoError(t, err)
	in.requireAlwaysWorked(4)
	assert.Empty(t, s.RequestsOf("getKeys"), "the given Current was used")

	after := simSet(t, s, portaltest.ProductionMSN)
	assert.NotEqual(t, before.ClientSecret, after.ClientSecret)
	assert.Equal(t, before.SubscriptionKeyPrimary, after.SubscriptionKeyPrimary)
	last, lastInUse := st.last()
	assert.Equal(t, after, last)
	assert.Equal(t, keys.SubscriptionKeyPrimary, lastInUse, "with only ClientSecret, InUse defaults to the primary")
	assert.Equal(t, []keys.Name{keys.ClientSecret}, rep.Rotated)
	assert.Equal(t, []string{"token subscriptionKeyPrimary", "regenerate clientSecret", "verify clientSecret",
		"store new clientSecret"}, actions(rep))

	// The old secret gets no token; the new one does.
	err = tokenFor(t, s, credsOf(before, keys.SubscriptionKeyPrimary))
	requireAPIError(t, err, http.StatusUnauthorized, "invalid_client", vipps.ErrUnauthorized)
	require.NoError(t, tokenFor(t, s, credsOf(after, keys.SubscriptionKeyPrimary)))
	require.NoError(t, tokenFor(t, s, credsOf(after, keys.SubscriptionKeySecondary)))

	// The integration still on the old secret keeps working on the token it holds.
	_, err = old.SalesUnits.Get(ctx, portaltest.ProductionMSN)
	require.NoError(t, err)
}

func TestRotateBoth(t *testing.T) {
	s := newSim(t)
	ctx := context.Background()
	c := s.AdminClient(fastRetry)
	before := simSet(t, s, portaltest.ProductionMSN)
	in := newIntegration(t, s, portaltest.ProductionMSN, keys.SubscriptionKeySecondary)

	st := &memStore{}
	rep, err := c.Keys.Rotate(ctx, portaltest.ProductionMSN, keys.RotateOptions{
		Strategy:         noDrain,
		SubscriptionKeys: true, ClientSecret: true, InUse: keys.SubscriptionKeySecondary,
		Store: st.store,
		Switch: func(_ context.Context, set keys.Set, inUse keys.Name) error {
			in.use(set, inUse)
			in.call("switched")
			return nil
		},
		OnStep: func(step keys.RotationStep) { in.call("after " + string(step.Action)) },
	})
	require.NoError(t, err)
	in.requireAlwaysWorked(10)
	assert.Equal(t, []keys.Name{keys.SubscriptionKeyPrimary, keys.SubscriptionKeySecondary, keys.ClientSecret}, rep.Rotated)
	assert.Equal(t, keys.SubscriptionKeyPrimary, rep.InUse)
	after := simSet(t, s, portaltest.ProductionMSN)
	last, lastInUse := st.last()
	assert.Equal(t, after, last)
	assert.Equal(t, keys.SubscriptionKeyPrimary, lastInUse)
	assert.NotEqual(t, before.ClientSecret, after.ClientSecret)
	assert.NotEqual(t, before.SubscriptionKeyPrimary, after.SubscriptionKeyPrimary)
	assert.NotEqual(t, before.SubscriptionKeySecondary, after.SubscriptionKeySecondary)
	assert.Equal(t, 3, s.Effects("regenerateKey"))
	assert.Len(t, st.sets, 3)
}

func TestRotateFailingStoreLosesNothing(t *testing.T) {
	t.Run("subscription keys", func(t *testing.T) {
		s := newSim(t)
		ctx := context.Background()
		c := s.AdminClient(fastRetry)
		before := simSet(t, s, portaltest.ProductionMSN)
		in := newIntegration(t, s, portaltest.ProductionMSN, keys.SubscriptionKeyPrimary)
		st := &memStore{failOn: 1}

		rep, err := c.Keys.Rotate(ctx, portaltest.ProductionMSN, keys.RotateOptions{
			Strategy:         noDrain,
			SubscriptionKeys: true, InUse: keys.SubscriptionKeyPrimary, Store: st.store})
		require.Error(t, err)
		var se *keys.StoreError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, keys.ActionStore, se.Action)
		assert.EqualError(t, errors.Unwrap(se), "disk full")
		assert.Contains(t, err.Error(), "disk full")

		// The error carries the set in force, and it works.
		assert.Equal(t, simSet(t, s, portaltest.ProductionMSN), se.Set)
		assert.Equal(t, keys.SubscriptionKeySecondary, se.InUse)
		v, err2 := c.Keys.Verify(ctx, se.Set)
		require.NoError(t, err2)
		assert.True(t, v.OK())
		got, ok := keys.UnsavedSet(err)
		require.True(t, ok)
		assert.Equal(t, se.Set, got)

		// It stopped there: the key in use was not touched, the integration still works.
		assert.Equal(t, 1, s.Effects("regenerateKey"))
		assert.Equal(t, before.SubscriptionKeyPrimary, se.Set.SubscriptionKeyPrimary)
		in.call("after the failed store")
		in.requireAlwaysWorked(1)
		assert.Equal(t, keys.SubscriptionKeyPrimary, rep.InUse)
		assert.Equal(t, []keys.Name{keys.SubscriptionKeySecondary}, rep.Rotated)
	})
	t.Run("client secret", func(t *testing.T) {
		s := newSim(t)
		ctx := context.Background()
		c := s.AdminClient(fastRetry)
		before := simSet(t, s, portaltest.ProductionMSN)
		st := &memStore{failOn: 1}
		_, err := c.Keys.Rotate(ctx, portaltest.ProductionMSN, keys.RotateOptions{Strategy: noDrain, ClientSecret: true, Store: st.store})
		got, ok := keys.UnsavedSet(err)
		require.True(t, ok, "the error carries the new set: %v", err)
		assert.NotEqual(t, before.ClientSecret, got.ClientSecret)
		require.NoError(t, tokenFor(t, s, credsOf(got, keys.SubscriptionKeyPrimary)), "the carried secret works")
		err = tokenFor(t, s, credsOf(before, keys.SubscriptionKeyPrimary))
		requireAPIError(t, err, http.StatusUnauthorized, "invalid_client", vipps.ErrUnauthorized)
	})
}

func TestRotateStopsSafely(t *testing.T) {
	ctx := context.Background()
	t.Run("stale current set: nothing is regenerated", func(t *testing.T) {
		s := newSim(t)
		c := s.AdminClient(fastRetry)
		stale := simSet(t, s, portaltest.ProductionMSN)
		stale.ClientSecret = "an-old-secret"
		st := &memStore{}
		_, err := c.Keys.Rotate(ctx, portaltest.ProductionMSN, keys.RotateOptions{
			Strategy:         noDrain,
			SubscriptionKeys: true, InUse: keys.SubscriptionKeyPrimary, Current: &stale, Store: st.store})
		var re *keys.RotationError
		require.ErrorAs(t, err, &re)
		assert.Equal(t, keys.ActionToken, re.Action)
		assert.Nil(t, re.Unsaved)
		requireAPIError(t, err, http.StatusUnauthorized, "invalid_client", vipps.ErrUnauthorized)
		assert.Zero(t, s.Effects("regenerateKey"))
		assert.Zero(t, st.calls)
		_, ok := keys.UnsavedSet(err)
		assert.False(t, ok)
	})
	t.Run("regenerator fails", func(t *testing.T) {
		s := newSim(t)
		c := s.AdminClient(fastRetry)
		st := &memStore{}
		boom := errors.New("portal down")
		_, err := c.Keys.Rotate(ctx, portaltest.ProductionMSN, keys.RotateOptions{
			Strategy:         noDrain,
			SubscriptionKeys: true, InUse: keys.SubscriptionKeyPrimary, Store: st.store,
			Replacer: keys.ReplacerFunc(func(context.Context, keys.Replacement) (keys.Set, error) { return keys.Set{}, boom }),
		})
		var re *keys.RotationError
		require.ErrorAs(t, err, &re)
		assert.Equal(t, keys.ActionRegenerate, re.Action)
		assert.Equal(t, keys.SubscriptionKeySecondary, re.Key, "the key not in use goes first")
		assert.ErrorIs(t, err, boom)
		assert.Zero(t, st.calls)
	})
	t.Run("regenerator returns the old value", func(t *testing.T) {
		s := newSim(t)
		c := s.AdminClient(fastRetry)
		st := &memStore{}
		_, err := c.Keys.Rotate(ctx, portaltest.ProductionMSN, keys.RotateOptions{
			Strategy:     noDrain,
			ClientSecret: true, Store: st.store,
			Replacer: keys.ReplacerFunc(func(_ context.Context, r keys.Replacement) (keys.Set, error) { return r.Current, nil }),
		})
		var re *keys.RotationError
		require.ErrorAs(t, err, &re)
		assert.Equal(t, keys.ActionRegenerate, re.Action)
		assert.Zero(t, st.calls)
	})
	t.Run("new set does not verify: carried, not stored", func(t *testing.T) {
		s := newSim(t)
		c := s.AdminClient(fastRetry)
		st := &memStore{}
		var regenerated keys.Set
		_, err := c.Keys.Rotate(ctx, portaltest.ProductionMSN, keys.RotateOptions{
			Strategy:     noDrain,
			ClientSecret: true, Store: st.store,
			Replacer: keys.ReplacerFunc(func(ctx context.Context, r keys.Replacement) (keys.Set, error) {
				set, err := c.Keys.Regenerate(ctx, r.Current.MSN, r.Name)
				require.NoError(t, err)
				regenerated = *set
				s.InjectFault(portaltest.Fault{Operation: "fetchAuthorizationTokenUsingPost", Status: http.StatusBadGateway, Times: -1})
				return *set, nil
			}),
		})
		s.ClearFaults()
		var re *keys.RotationError
		require.ErrorAs(t, err, &re)
		assert.Equal(t, keys.ActionVerify, re.Action)
		require.NotNil(t, re.Unsaved)
		assert.Equal(t, regenerated, *re.Unsaved)
		assert.ErrorIs(t, err, vipps.ErrServer)
		assert.Zero(t, st.calls, "nothing unverified is stored")
		got, ok := keys.UnsavedSet(err)
		require.True(t, ok)
		assert.Equal(t, regenerated, got)
	})
	t.Run("switch fails after the store", func(t *testing.T) {
		s := newSim(t)
		c := s.AdminClient(fastRetry)
		st := &memStore{}
		_, err := c.Keys.Rotate(ctx, portaltest.ProductionMSN, keys.RotateOptions{
			Strategy:         noDrain,
			SubscriptionKeys: true, InUse: keys.SubscriptionKeyPrimary, Store: st.store,
			Switch: func(context.Context, keys.Set, keys.Name) error { return errors.New("reload failed") },
		})
		var se *keys.StoreError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, keys.ActionSwitch, se.Action)
		assert.Equal(t, 1, st.calls, "the set was stored before the switch")
		assert.Equal(t, 1, s.Effects("regenerateKey"), "the key in use is not replaced before a switch")
		_, ok := keys.UnsavedSet(err)
		assert.False(t, ok, "the set was stored")
	})
	t.Run("canceled context", func(t *testing.T) {
		s := newSim(t)
		c := s.AdminClient(fastRetry)
		cctx, cancel := context.WithCancel(ctx)
		st := &memStore{}
		_, err := c.Keys.Rotate(cctx, portaltest.ProductionMSN, keys.RotateOptions{
			Strategy:         noDrain,
			SubscriptionKeys: true, InUse: keys.SubscriptionKeyPrimary,
			Store: func(ctx context.Context, set keys.Set, inUse keys.Name) error {
				cancel()
				return st.store(ctx, set, inUse)
			}})
		assert.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, 1, s.Effects("regenerateKey"))
	})
}

func TestRotateSurvivesLostRegenerateAnswer(t *testing.T) {
	s := newSim(t)
	c := s.AdminClient(fastRetry)
	st := &memStore{}
	s.InjectFault(portaltest.Fault{Operation: "regenerateKey", DropAfterWork: true, Times: 2})
	rep, err := c.Keys.Rotate(context.Background(), portaltest.ProductionMSN, keys.RotateOptions{
		Strategy:         noDrain,
		SubscriptionKeys: true, InUse: keys.SubscriptionKeyPrimary, Store: st.store})
	require.NoError(t, err)
	assert.Equal(t, 2, s.Effects("regenerateKey"), "one regeneration per key despite the lost answers")
	last, _ := st.last()
	assert.Equal(t, simSet(t, s, portaltest.ProductionMSN), last)
	assert.Equal(t, keys.SubscriptionKeySecondary, rep.InUse)
}
