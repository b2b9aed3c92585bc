package keys

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vippsportal/sdk/internal/core"
)

// Fleet coordinates one key set shared by many replicas of an integration.
// RotateFleet drives it; github.com/vippsportal/sdk/keys/etcdfleet implements
// it on etcd. Versions increase with every Publish; 0 means nothing was
// published yet.
type Fleet interface {
	// Acquire takes the fleet's rotation lease: at most one holder at a time.
	// It waits for a holder to release, or fails when ctx ends. release
	// gives the lease back.
	Acquire(ctx context.Context) (release func(), err error)
	// Current returns the set the fleet uses now, the subscription key in
	// use and their version (0, with no error, when nothing was published).
	Current(ctx context.Context) (set Set, inUse Name, version int64, err error)
	// Publish stores set and the subscription key in use as the fleet's next
	// version and returns that version. It fails unless the lease is held.
	Publish(ctx context.Context, set Set, inUse Name) (version int64, err error)
	// AwaitSwitched returns once every live replica has acknowledged version
	// (or a later one). When one has not within the fleet's bound, it returns
	// an error naming the replica(s).
	AwaitSwitched(ctx context.Context, version int64) error
}

// Steps of a fleet rotation before Rotate starts; they appear in a
// RotationError, not in the report's steps.
const (
	ActionAcquire Action = "acquire" // take the fleet's rotation lease
	ActionCurrent Action = "current" // read the fleet's current set
	ActionAwait   Action = "await"   // every live replica is on the fleet's current version
)

// RotateFleet runs Rotate for a set shared by a fleet of replicas, so that no
// replica loses a call:
//
//   - it takes the fleet's lease (one rotation at a time) and gives it back at the end;
//   - it starts from the fleet's current set and key in use, after every live
//     replica has acknowledged that version (a replica left behind by an earlier,
//     stopped rotation would otherwise lose its key now);
//   - every new set is Published; a caller's o.Store, when given, is called first
//     (keep the set of record in your secret manager, say): a set is published
//     only once it is saved;
//   - before an old key is regenerated (the Switch points of Rotate), it waits
//     until every live replica has acknowledged the version just published.
//
// When a replica does not acknowledge in time, the rotation stops before
// anything else changes: the error is a *StoreError with Action ActionSwitch
// that carries the new set (already published) and wraps the fleet's error,
// which names the replica. Run RotateFleet again once the fleet is healthy.
//
// o.Current and o.Switch must be nil (the fleet supplies both); o.InUse may be
// empty or must match the fleet's key in use. Nothing is sent, to the fleet or
// the portal, when an option is invalid.
func (s *Service) RotateFleet(ctx context.Context, msn string, f Fleet, o RotateOptions) (*RotationReport, error) {
	if err := checkFleetOptions(msn, f, &o); err != nil {
		return nil, err
	}
	rep := &RotationReport{MSN: msn, Started: time.Now(), InUse: o.InUse}
	fail := func(a Action, err error) (*RotationReport, error) {
		rep.Finished = time.Now()
		return rep, &RotationError{MSN: msn, Action: a, Err: err}
	}

	release, err := f.Acquire(ctx)
	if err != nil {
		return fail(ActionAcquire, err)
	}
	defer release()

	cur, inUse, version, err := f.Current(ctx)
	if err != nil {
		return fail(ActionCurrent, err)
	}
	if version == 0 {
		return fail(ActionCurrent, errors.New("the fleet holds no key set yet: Publish the set the replicas use first"))
	}
	if cur.MSN != msn {
		return fail(ActionCurrent, fmt.Errorf("the fleet holds the key set of sales unit %s, not %s", cur.MSN, msn))
	}
	if o.InUse != "" && o.InUse != inUse {
		return fail(ActionCurrent, fmt.Errorf("RotateOptions.InUse is %s, but the fleet uses %s", o.InUse, inUse))
	}
	rep.InUse = inUse
	if err := f.AwaitSwitched(ctx, version); err != nil {
		return fail(ActionAwait, fmt.Errorf("the fleet is not in step at version %d: %w", version, err))
	}

	o.Current, o.InUse = &cur, inUse
	callerStore := o.Store
	var published int64
	o.Store = func(ctx context.Context, set Set, inUse Name) error {
		if callerStore != nil {
			if err := callerStore(ctx, set, inUse); err != nil {
				return err
			}
		}
		v, err := f.Publish(ctx, set, inUse)
		if err != nil {
			return fmt.Errorf("publishing to the fleet: %w", err)
		}
		published = v
		return nil
	}
	o.Switch = func(ctx context.Context, _ Set, _ Name) error {
		return f.AwaitSwitched(ctx, published)
	}
	if o.Drain == 0 && o.Live == nil {
		// Every live replica's acknowledgement is the drain: it acks once its
		// old key's requests are done, so no fixed wait is added on top.
		o.Drain = -1
	}
	return s.Rotate(ctx, msn, o)
}

// checkFleetOptions refuses what RotateFleet would get wrong, before the lease is asked for.
func checkFleetOptions(msn string, f Fleet, o *RotateOptions) error {
	if err := core.CheckMSN("msn", msn); err != nil {
		return err
	}
	if f == nil {
		return core.Invalid("f", "is required: the fleet the key set is shared with")
	}
	if !o.SubscriptionKeys && !o.ClientSecret {
		return core.Invalid("RotateOptions", "choose SubscriptionKeys, ClientSecret or both")
	}
	if o.InUse != "" && !o.InUse.IsSubscriptionKey() {
		return core.Invalid("RotateOptions.InUse", "must be empty (the fleet's), subscriptionKeyPrimary or subscriptionKeySecondary, got %q", string(o.InUse))
	}
	if o.Current != nil {
		return core.Invalid("RotateOptions.Current", "must be nil: RotateFleet starts from the fleet's current set")
	}
	if o.Switch != nil {
		return core.Invalid("RotateOptions.Switch", "must be nil: the replicas switch through the fleet")
	}
	return nil
}
