package keys_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/portal/portaltest"
)

// fakeFleet is an in-memory keys.Fleet whose replica is the integration: a
// Publish switches it at once, so AwaitSwitched succeeds unless awaitErr says
// otherwise. It logs every call, so a test can check the order of events.
type fakeFleet struct {
	t  *testing.T
	in *integration // nil: no replica

	mu         sync.Mutex
	events     []string
	held       bool
	set        keys.Set
	inUse      keys.Name
	version    int64
	acquireErr error
	heldErr    func() error // nil: the lease is held while acquired
	awaitErr   func(version int64) error
}

func newFakeFleet(t *testing.T, in *integration, set keys.Set, inUse keys.Name) *fakeFleet {
	return &fakeFleet{t: t, in: in, set: set, inUse: inUse, version: 1}
}

func (f *fakeFleet) log(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, fmt.Sprintf(format, args...))
}

func (f *fakeFleet) Events() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.events...)
}

func (f *fakeFleet) Acquire(context.Context) (func(), error) {
	f.log("acquire")
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.acquireErr != nil {
		return nil, f.acquireErr
	}
	require.False(f.t, f.held, "the lease is held already")
	f.held = true
	return func() {
		f.mu.Lock()
		f.held = false
		f.mu.Unlock()
		f.log("release")
	}, nil
}

func (f *fakeFleet) Held(context.Context) error {
	f.log("held?")
	f.mu.Lock()
	held := f.held
	f.mu.Unlock()
	if !held {
		return errors.New("the lease was released")
	}
	if f.heldErr != nil {
		return f.heldErr()
	}
	return nil
}

func (f *fakeFleet) Current(context.Context) (keys.Set, keys.Name, int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.set, f.inUse, f.version, nil
}

func (f *fakeFleet) Publish(_ context.Context, set keys.Set, inUse keys.Name) (int64, error) {
	f.mu.Lock()
	if !f.held {
		f.mu.Unlock()
		return 0, errors.New("publish without the lease")
	}
	f.version++
	f.set, f.inUse = set, inUse
	v := f.version
	f.mu.Unlock()
	f.log("publish v%d %s", v, inUse)
	if f.in != nil {
		f.in.use(set, inUse)
	}
	return v, nil
}

func (f *fakeFleet) AwaitSwitched(_ context.Context, version int64) error {
	f.log("await v%d", version)
	if f.awaitErr != nil {
		return f.awaitErr(version)
	}
	return nil
}

func TestFleetStrategyPublishesEveryChangeAndWaitsForTheFleetBeforeRegenerating(t *testing.T) {
	s := newSim(t)
	before := simSet(t, s, portaltest.ProductionMSN)
	in := newIntegration(t, s, portaltest.ProductionMSN, keys.SubscriptionKeyPrimary)
	f := newFakeFleet(t, in, before, keys.SubscriptionKeyPrimary)

	var saved []keys.Set
	rep, err := s.AdminClient(fastRetry).Keys.Rotate(context.Background(), portaltest.ProductionMSN, keys.RotateOptions{
		SubscriptionKeys: true, ClientSecret: true, Strategy: keys.FleetStrategy{Fleet: f},
		Store: func(_ context.Context, set keys.Set, inUse keys.Name) error {
			f.log("caller store %s", inUse)
			saved = append(saved, set)
			return nil
		},
		OnStep: func(st keys.RotationStep) {
			f.log("step %s", st)
			in.call("after " + st.String())
		},
	})
	require.NoError(t, err)
	in.call("after the rotation")
	in.requireAlwaysWorked(12)

	p, sec := keys.SubscriptionKeyPrimary, keys.SubscriptionKeySecondary
	assert.Equal(t, []string{
		"acquire", "await v1", // the fleet is in step before anything changes
		"step token " + string(p),
		"held?", "step regenerate " + string(sec), "step verify " + string(sec),
		"caller store " + string(sec), "publish v2 " + string(sec), "step store new " + string(sec),
		"await v2", "step switch " + string(sec), // every replica uses the fresh key ...
		"held?", "step regenerate " + string(p), "step verify " + string(p), // ... before the old one goes
		"caller store " + string(sec), "publish v3 " + string(sec), "step store new " + string(p),
		"step token " + string(sec),
		"held?", "step regenerate clientSecret", "step verify clientSecret",
		"caller store " + string(sec), "publish v4 " + string(sec), "step store new clientSecret",
		"await v4", "step switch " + string(sec),
		"release",
	}, f.Events())

	after := simSet(t, s, portaltest.ProductionMSN)
	assert.Equal(t, after, f.set, "the fleet holds the set in force")
	require.Len(t, saved, 3)
	assert.Equal(t, after, saved[2], "the caller's store got every set")
	assert.NotEqual(t, before.ClientSecret, after.ClientSecret)
	assert.Empty(t, s.RequestsOf("getKeys"), "the rotation starts from the fleet's set, not the portal's")
	assert.Equal(t, []keys.Name{sec, p, keys.ClientSecret}, rep.Rotated)
	assert.Equal(t, sec, rep.InUse)
}

func TestFleetStrategyStopsWithTheSetPublishedWhenAReplicaDoesNotSwitch(t *testing.T) {
	s := newSim(t)
	before := simSet(t, s, portaltest.ProductionMSN)
	in := newIntegration(t, s, portaltest.ProductionMSN, keys.SubscriptionKeyPrimary)
	f := newFakeFleet(t, nil, before, keys.SubscriptionKeyPrimary)
	f.awaitErr = func(v int64) error {
		if v == 1 {
			return nil
		}
		return fmt.Errorf("replica pod-b did not acknowledge version %d", v)
	}

	_, err := s.AdminClient(fastRetry).Keys.Rotate(context.Background(), portaltest.ProductionMSN,
		keys.RotateOptions{SubscriptionKeys: true, ClientSecret: true, Store: (&memStore{}).store, Strategy: keys.FleetStrategy{Fleet: f}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "pod-b")
	var se *keys.StoreError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, keys.ActionSwitch, se.Action)
	assert.Equal(t, f.set, se.Set, "the error carries the set the fleet holds")
	assert.Equal(t, keys.SubscriptionKeySecondary, f.inUse)
	_, unsaved := keys.UnsavedSet(err)
	assert.False(t, unsaved, "the set was published: nothing to save")

	after := simSet(t, s, portaltest.ProductionMSN)
	assert.Equal(t, f.set, after)
	assert.Equal(t, before.SubscriptionKeyPrimary, after.SubscriptionKeyPrimary, "the key pod-b uses was not regenerated")
	assert.Equal(t, before.ClientSecret, after.ClientSecret)
	assert.Equal(t, 1, s.Effects("regenerateKey"))
	in.call("pod-b, still on the old set")
	in.requireAlwaysWorked(1)
	assert.Equal(t, "release", f.Events()[len(f.Events())-1])
}

func TestFleetStrategyChangesNothingUntilTheFleetIsInStep(t *testing.T) {
	s := newSim(t)
	f := newFakeFleet(t, nil, simSet(t, s, portaltest.ProductionMSN), keys.SubscriptionKeyPrimary)
	f.awaitErr = func(v int64) error { return fmt.Errorf("replica pod-c is on an older version than %d", v) }

	_, err := s.AdminClient(fastRetry).Keys.Rotate(context.Background(), portaltest.ProductionMSN,
		keys.RotateOptions{ClientSecret: true, Store: (&memStore{}).store, Strategy: keys.FleetStrategy{Fleet: f}})
	var re *keys.RotationError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, keys.ActionAwait, re.Action)
	assert.Contains(t, err.Error(), "pod-c")
	assert.Empty(t, s.Requests(), "nothing reached the portal")
	assert.Equal(t, []string{"acquire", "await v1", "release"}, f.Events())
}

func TestFleetStrategyRefusesAFleetItCannotRotate(t *testing.T) {
	s := newSim(t)
	set := simSet(t, s, portaltest.ProductionMSN)
	other := simSet(t, s, portaltest.SecondProductionMSN)
	for _, tc := range []struct {
		name  string
		fleet func(f *fakeFleet)
		inUse keys.Name
		want  keys.Action
	}{
		{"lease refused", func(f *fakeFleet) { f.acquireErr = context.DeadlineExceeded }, "", keys.ActionAcquire},
		{"nothing published", func(f *fakeFleet) { f.version = 0 }, "", keys.ActionCurrent},
		{"another unit's set", func(f *fakeFleet) { f.set = other }, "", keys.ActionCurrent},
		{"another key in use", func(*fakeFleet) {}, keys.SubscriptionKeySecondary, keys.ActionCurrent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeFleet(t, nil, set, keys.SubscriptionKeyPrimary)
			tc.fleet(f)
			_, err := s.AdminClient(fastRetry).Keys.Rotate(context.Background(), portaltest.ProductionMSN,
				keys.RotateOptions{SubscriptionKeys: true, InUse: tc.inUse, Store: (&memStore{}).store, Strategy: keys.FleetStrategy{Fleet: f}})
			var re *keys.RotationError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, tc.want, re.Action)
			ev := f.Events()
			if tc.want == keys.ActionAcquire {
				assert.Equal(t, []string{"acquire"}, ev, "no lease, nothing to release")
			} else {
				assert.Equal(t, []string{"acquire", "release"}, ev)
			}
		})
	}
	assert.Empty(t, s.Requests(), "nothing reached the portal")
}

func TestFleetStrategyRefusesBadOptionsBeforeAskingForTheLease(t *testing.T) {
	s := newSim(t)
	set := simSet(t, s, portaltest.ProductionMSN)
	noop := func(context.Context, keys.Set, keys.Name) error { return nil }
	for _, tc := range []struct {
		msn   string
		nilF  bool
		o     keys.RotateOptions
		field string
	}{
		{msn: "12", o: keys.RotateOptions{ClientSecret: true, Store: noop}, field: "msn"},
		{nilF: true, o: keys.RotateOptions{ClientSecret: true, Store: noop}, field: "FleetStrategy.Fleet"},
		{o: keys.RotateOptions{Store: noop}, field: "RotateOptions"},
		{o: keys.RotateOptions{ClientSecret: true, Store: noop, InUse: keys.ClientID}, field: "RotateOptions.InUse"},
		{o: keys.RotateOptions{ClientSecret: true, Store: noop, Current: &set}, field: "RotateOptions.Current"},
		{o: keys.RotateOptions{ClientSecret: true, Store: noop, Switch: noop}, field: "RotateOptions.Switch"},
	} {
		t.Run(tc.field, func(t *testing.T) {
			f := newFakeFleet(t, nil, set, keys.SubscriptionKeyPrimary)
			var fl keys.Fleet = f
			if tc.nilF {
				fl = nil
			}
			msn := tc.msn
			if msn == "" {
				msn = portaltest.ProductionMSN
			}
			tc.o.Strategy = keys.FleetStrategy{Fleet: fl}
			rep, err := s.AdminClient(fastRetry).Keys.Rotate(context.Background(), msn, tc.o)
			requireInvalid(t, err, tc.field)
			assert.Nil(t, rep)
			assert.Empty(t, f.Events(), "the fleet was not asked")
		})
	}
	assert.Empty(t, s.Requests())
}

// A rotator whose lease is gone by the time it would regenerate (it was
// paused while another took over) changes nothing more: the fleet's fence is
// asked right before every regeneration.
func TestFleetStrategyRegeneratesNothingOnceTheLeaseIsLost(t *testing.T) {
	s := newSim(t)
	before := simSet(t, s, portaltest.ProductionMSN)
	f := newFakeFleet(t, nil, before, keys.SubscriptionKeyPrimary)
	lost := errors.New("lease 42 expired")
	checks := 0
	f.heldErr = func() error {
		if checks++; checks > 1 {
			return lost // held for the first regeneration, gone for the second
		}
		return nil
	}
	st := &memStore{}
	rep, err := s.AdminClient(fastRetry).Keys.Rotate(context.Background(), portaltest.ProductionMSN, keys.RotateOptions{
		SubscriptionKeys: true, ClientSecret: true, Store: st.store, Strategy: keys.FleetStrategy{Fleet: f}})
	var re *keys.RotationError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, keys.ActionRegenerate, re.Action)
	assert.Equal(t, keys.SubscriptionKeyPrimary, re.Key, "it stopped before the key the replicas used")
	assert.ErrorIs(t, err, lost)
	assert.Contains(t, err.Error(), "lease could not be confirmed held")
	assert.Equal(t, 1, s.Effects("regenerateKey"), "only the regeneration made while the lease was held")
	assert.Equal(t, before.SubscriptionKeyPrimary, simSet(t, s, portaltest.ProductionMSN).SubscriptionKeyPrimary)
	assert.Equal(t, []keys.Name{keys.SubscriptionKeySecondary}, rep.Rotated)
	assert.Equal(t, "release", f.Events()[len(f.Events())-1])
}

func TestFleetStrategyPublishesOnlyWhatTheCallerSaved(t *testing.T) {
	s := newSim(t)
	f := newFakeFleet(t, nil, simSet(t, s, portaltest.ProductionMSN), keys.SubscriptionKeyPrimary)
	_, err := s.AdminClient(fastRetry).Keys.Rotate(context.Background(), portaltest.ProductionMSN, keys.RotateOptions{
		ClientSecret: true, Strategy: keys.FleetStrategy{Fleet: f},
		Store: func(context.Context, keys.Set, keys.Name) error { return errors.New("vault sealed") },
	})
	var se *keys.StoreError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, keys.ActionStore, se.Action)
	unsaved, ok := keys.UnsavedSet(err)
	require.True(t, ok)
	assert.Equal(t, simSet(t, s, portaltest.ProductionMSN), unsaved)
	assert.Equal(t, int64(1), f.version, "nothing was published")
	assert.NotContains(t, f.Events(), "publish v2 "+string(keys.SubscriptionKeyPrimary))
}

// A fleet's published set is durable: a FleetStrategy needs no Store.
func TestFleetStrategyNeedsNoStore(t *testing.T) {
	s := newSim(t)
	before := simSet(t, s, portaltest.ProductionMSN)
	f := newFakeFleet(t, nil, before, keys.SubscriptionKeyPrimary)
	rep, err := s.AdminClient(fastRetry).Keys.Rotate(context.Background(), portaltest.ProductionMSN,
		keys.RotateOptions{ClientSecret: true, Strategy: keys.FleetStrategy{Fleet: f}})
	require.NoError(t, err)
	assert.Equal(t, []keys.Name{keys.ClientSecret}, rep.Rotated)
	published, _, version, err := f.Current(context.Background())
	require.NoError(t, err)
	assert.Positive(t, version)
	assert.NotEqual(t, before.ClientSecret, published.ClientSecret)
	assert.Equal(t, simSet(t, s, portaltest.ProductionMSN).ClientSecret, published.ClientSecret, "the fleet holds the set in force")
}
