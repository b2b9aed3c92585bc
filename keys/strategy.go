package keys

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vippsportal/sdk/internal/core"
)

// Strategy is how the new keys of a rotation reach the integration that uses
// them, and so what [Service.Rotate] waits for before it regenerates a key
// the integration used: [RotateOptions.Strategy] is one of [LiveStrategy],
// [DrainStrategy] and [FleetStrategy] (the interface is sealed). Each says what
// the integration must do and what Rotate then guarantees.
type Strategy interface {
	// check refuses what the strategy cannot rotate, naming the field, before
	// anything is sent; it may fill o.Current and o.InUse from what it holds.
	check(msn string, o *RotateOptions) error
	// start runs before the first step (the fleet's lease and set); stop, when
	// not nil, runs once the rotation is over.
	start(ctx context.Context, r *rotation) (stop func(), err error)
	// fence runs right before every regeneration: an error regenerates nothing.
	fence(ctx context.Context) error
	// put makes a set that Store accepted the integration's.
	put(ctx context.Context, r *rotation, set Set, inUse Name) error
	// settle waits, after a switch, until the integration uses the set; it
	// reports whether it had anything to wait for.
	settle(ctx context.Context, r *rotation) (bool, error)
	// drain waits until no request carries subscription key n any more.
	drain(ctx context.Context, r *rotation, n Name) error
	// handOff makes sure the integration holds a token before the client secret changes.
	handOff(ctx context.Context, r *rotation, set Set, tok AccessToken) error
}

// DefaultDrain is [DrainStrategy.Drain]'s default.
const DefaultDrain = 10 * time.Second

// LiveStrategy rotates the keys of an integration that reads them from Source,
// the [LiveSource] its clients are built with
// ([github.com/vippsportal/sdk/portal.WithKeySource]).
//
// What the integration must do: build every client that uses these keys with
// [github.com/vippsportal/sdk/portal.WithKeySource](Source), so that each call takes its keys from Source and
// Source counts the calls in flight per key.
//
// What Rotate does: it starts from Source's set and key in use
// ([RotateOptions.Current] and [RotateOptions.InUse] may be left empty; when
// given, they must agree with Source), puts every new set into Source right after
// [RotateOptions.Store] accepted it, regenerates a subscription key that was in
// use only once every request that carried it has its answer, and, before the
// client secret changes, hands Source the fresh token it obtained and waits
// for the requests begun before, so that no client asks for a token with the
// old secret.
//
// The guarantee: no call made through those clients fails because of the
// rotation. The waits are bounded by MaxDrain: past it Rotate stops with a
// *[DrainError], regenerates nothing more, and every set so far is stored.
// Calls that do not read Source (another process, a copy of the set) are not
// covered: use [FleetStrategy] for many processes.
type LiveStrategy struct {
	Source *LiveSource // required
	// MaxDrain bounds each wait for requests in flight. 0 means
	// [DefaultMaxDrain]; negative is refused.
	MaxDrain time.Duration
}

// DrainStrategy rotates the keys of an integration that [RotateOptions.Store]
// (or [RotateOptions.Switch]) switches to the new set: a Store that writes
// the file the integration follows, say, or swaps in a client built from the
// set.
//
// What the integration must do: use a new set once Store (or Switch)
// returned, and hold a token before the client secret changes: give HandOff
// to a client that may not have made a call yet
// ([github.com/vippsportal/sdk/portal.Client.UseToken]).
//
// What Rotate does: it cannot see the integration's requests, so it waits
// Drain after the integration switched away from a subscription key before it
// regenerates that key, and, after the last Store, before it replaces the
// client secret (a client Store swapped in gets its token meanwhile); just
// before the client secret changes it gives HandOff the token it obtained with
// the set in force.
//
// The guarantee: no call fails as long as every request sent with an old key
// has its answer within Drain after the switch (retries included; a
// [FileSource] reader switches up to its CheckEvery late, so add that) and
// every client holds a token when the secret changes.
type DrainStrategy struct {
	// Drain is how long Rotate waits, as above. 0 means [DefaultDrain]; a
	// negative value, no wait (only when nothing uses the keys meanwhile).
	Drain time.Duration
	// HandOff, when set, receives the token Rotate obtained with set (the set
	// in force) just before it replaces the client secret. An error stops the
	// rotation before the secret changes.
	HandOff func(ctx context.Context, set Set, tok AccessToken) error
}

// FleetStrategy rotates a key set that many replicas of an integration share
// through Fleet ([github.com/vippsportal/sdk/keys/etcdfleet] implements it
// on etcd).
//
// What the integration must do: every replica follows the fleet (etcdfleet's
// Replica) with an applier that returns only once the replica uses the new
// set, holds a token for it and has the answers to its calls on the old one;
// its acknowledgement tells the rotator so.
//
// What Rotate does: it takes the fleet's lease (one rotation at a time) and
// gives it back at the end; starts from the fleet's current set and key in
// use once every live replica has acknowledged that version (a replica left
// behind by an earlier, stopped rotation would otherwise lose its key now);
// asks [Fleet.Held] right before every regeneration, so a rotator that lost
// its lease (paused past the lease's lifetime while another rotated)
// regenerates nothing; Publishes every new set once [RotateOptions.Store]
// accepted it; and, where the other strategies switch and drain, waits until
// every live replica acknowledged the version just published.
//
// The guarantee: no replica loses a call, as long as each acknowledges only
// what its applier has finished. When a replica does not acknowledge in time,
// Rotate stops before anything else changes: the error is a *[StoreError]
// with Action [ActionSwitch] that carries the new set (already published) and
// wraps the fleet's error, which names the replica.
// [RotateOptions.Current] and [RotateOptions.Switch] must be nil (the fleet
// supplies both); [RotateOptions.InUse] may be empty or must match the fleet's.
type FleetStrategy struct {
	Fleet Fleet // required
}

// ---- LiveStrategy ----

func (s LiveStrategy) check(msn string, o *RotateOptions) error {
	switch {
	case s.Source == nil:
		return core.Invalid("LiveStrategy.Source", "is required: the live source the integration reads its keys from")
	case s.MaxDrain < 0:
		return core.Invalid("LiveStrategy.MaxDrain", "must not be negative (0 means DefaultMaxDrain)")
	}
	// The source holds what the integration uses: it is the current set and
	// key in use unless they are given, and must agree when they are.
	set, n := s.Source.Current()
	switch {
	case set.MSN != msn:
		return core.Invalid("LiveStrategy.Source", "holds the keys of sales unit %q, but the sales unit rotated is %q", set.MSN, msn)
	case o.InUse == "":
		o.InUse = n
	case o.InUse != n:
		return core.Invalid("RotateOptions.InUse", "is %s, but the live source's key in use is %s", o.InUse, n)
	}
	if o.Current == nil {
		o.Current = &set
	} else if !sameKeys(*o.Current, set) {
		return core.Invalid("RotateOptions.Current", "holds other keys than the live source: leave it nil to start from the source's set")
	}
	return nil
}

// sameKeys reports whether a and b hold the same keys of the same sales unit.
func sameKeys(a, b Set) bool {
	return a.MSN == b.MSN && a.Environment == b.Environment && a.ClientID == b.ClientID && a.ClientSecret == b.ClientSecret &&
		a.SubscriptionKeyPrimary == b.SubscriptionKeyPrimary && a.SubscriptionKeySecondary == b.SubscriptionKeySecondary
}

func (LiveStrategy) start(context.Context, *rotation) (func(), error) { return nil, nil }
func (LiveStrategy) fence(context.Context) error                      { return nil }

func (s LiveStrategy) put(_ context.Context, _ *rotation, set Set, inUse Name) error {
	// The switch itself; the wait for the old key's requests is the drain step.
	_, err := s.Source.put(set, inUse)
	return err
}

func (LiveStrategy) settle(context.Context, *rotation) (bool, error) { return false, nil }

func (s LiveStrategy) drain(ctx context.Context, r *rotation, n Name) error {
	took, err := s.Source.Drain(ctx, n, s.MaxDrain)
	if err != nil {
		return &RotationError{MSN: r.msn, Action: ActionDrain, Key: n, Err: err}
	}
	r.stepTook(ActionDrain, n, time.Time{}, took)
	return nil
}

func (s LiveStrategy) handOff(ctx context.Context, r *rotation, _ Set, tok AccessToken) error {
	took, err := s.Source.handOff(ctx, tok, s.MaxDrain)
	if err != nil {
		return &RotationError{MSN: r.msn, Action: ActionDrain, Key: ClientSecret, Err: err}
	}
	r.stepTook(ActionDrain, ClientSecret, time.Time{}, took)
	return nil
}

// ---- DrainStrategy ----

func (DrainStrategy) check(_ string, o *RotateOptions) error {
	if o.InUse == "" && o.SubscriptionKeys {
		return core.Invalid("RotateOptions.InUse", "is required with SubscriptionKeys: the key NOT in use is replaced first")
	}
	return nil
}

func (DrainStrategy) start(context.Context, *rotation) (func(), error) { return nil, nil }
func (DrainStrategy) fence(context.Context) error                      { return nil }
func (DrainStrategy) put(context.Context, *rotation, Set, Name) error  { return nil }
func (DrainStrategy) settle(context.Context, *rotation) (bool, error)  { return false, nil }

func (s DrainStrategy) drain(ctx context.Context, r *rotation, n Name) error {
	return s.wait(ctx, r, n)
}

func (s DrainStrategy) handOff(ctx context.Context, r *rotation, set Set, tok AccessToken) error {
	if s.HandOff == nil && !r.stored {
		return nil // no client was swapped in and none asked for the token: nothing to wait for
	}
	if s.HandOff != nil {
		if err := s.HandOff(ctx, set, tok); err != nil {
			return &RotationError{MSN: r.msn, Action: ActionToken, Key: ClientSecret, Err: err}
		}
	}
	return s.wait(ctx, r, ClientSecret)
}

// wait is the bound the strategy cannot check.
func (s DrainStrategy) wait(ctx context.Context, r *rotation, n Name) error {
	d := s.Drain
	if d == 0 {
		d = DefaultDrain
	}
	if d < 0 {
		return nil
	}
	start := time.Now()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return &RotationError{MSN: r.msn, Action: ActionDrain, Key: n, Err: ctx.Err()}
	}
	r.stepTook(ActionDrain, n, time.Time{}, time.Since(start))
	return nil
}

// ---- FleetStrategy ----

func (s FleetStrategy) check(_ string, o *RotateOptions) error {
	switch {
	case s.Fleet == nil:
		return core.Invalid("FleetStrategy.Fleet", "is required: the fleet the key set is shared with")
	case o.Current != nil:
		return core.Invalid("RotateOptions.Current", "must be nil with a FleetStrategy: the rotation starts from the fleet's current set")
	case o.Switch != nil:
		return core.Invalid("RotateOptions.Switch", "must be nil with a FleetStrategy: the replicas switch through the fleet")
	case o.InUse != "" && !o.InUse.IsSubscriptionKey():
		return core.Invalid("RotateOptions.InUse", "must be empty (the fleet's), subscriptionKeyPrimary or subscriptionKeySecondary, got %q", string(o.InUse))
	}
	return nil
}

func (s FleetStrategy) start(ctx context.Context, r *rotation) (func(), error) {
	fail := func(a Action, err error) (func(), error) { return nil, &RotationError{MSN: r.msn, Action: a, Err: err} }
	release, err := s.Fleet.Acquire(ctx)
	if err != nil {
		return fail(ActionAcquire, err)
	}
	cur, inUse, version, err := s.Fleet.Current(ctx)
	switch {
	case err != nil:
	case version == 0:
		err = errors.New("the fleet holds no key set yet: publish the set the replicas use first (etcdfleet: Fleet.PublishFirst)")
	case cur.MSN != r.msn:
		err = fmt.Errorf("the fleet holds the key set of sales unit %s, not %s", cur.MSN, r.msn)
	case r.o.InUse != "" && r.o.InUse != inUse:
		err = fmt.Errorf("RotateOptions.InUse is %s, but the fleet uses %s", r.o.InUse, inUse)
	}
	if err != nil {
		release()
		return fail(ActionCurrent, err)
	}
	r.rep.InUse = inUse
	if err := s.Fleet.AwaitSwitched(ctx, version); err != nil {
		release()
		return fail(ActionAwait, fmt.Errorf("the fleet is not in step at version %d: %w", version, err))
	}
	r.o.Current, r.inUse = &cur, inUse
	return release, nil
}

func (s FleetStrategy) fence(ctx context.Context) error {
	if err := s.Fleet.Held(ctx); err != nil {
		return fmt.Errorf("the fleet's rotation lease could not be confirmed held (lost to another rotator, or the fleet did not answer), so nothing more is regenerated: %w", err)
	}
	return nil
}

func (s FleetStrategy) put(ctx context.Context, r *rotation, set Set, inUse Name) error {
	v, err := s.Fleet.Publish(ctx, set, inUse)
	if err != nil {
		return fmt.Errorf("publishing to the fleet: %w", err)
	}
	r.published = v
	return nil
}

func (s FleetStrategy) settle(ctx context.Context, r *rotation) (bool, error) {
	return true, s.Fleet.AwaitSwitched(ctx, r.published)
}

// Every live replica's acknowledgement is the drain: it acknowledges once its
// old key's requests are done, so no fixed wait is added on top.
func (FleetStrategy) drain(context.Context, *rotation, Name) error { return nil }

// A replica holds a token for every version it acknowledged.
func (FleetStrategy) handOff(context.Context, *rotation, Set, AccessToken) error { return nil }
