package keys

import "context"

// Fleet coordinates one key set shared by many replicas of an integration.
// [Service.Rotate] drives it through a [FleetStrategy];
// [github.com/vippsportal/sdk/keys/etcdfleet] implements it on etcd. Versions
// increase with every Publish; 0 means nothing was published yet.
type Fleet interface {
	// Acquire takes the fleet's rotation lease: at most one holder at a time.
	// It waits for a holder to release, or fails when ctx ends. release
	// gives the lease back.
	Acquire(ctx context.Context) (release func(), err error)
	// Held returns nil only when the lease Acquire took is still held, as
	// the fleet's store sees it now (not as a local flag remembers it), and
	// will stay held for a while longer; else an error. Rotate calls it
	// right before every regeneration: a rotator that lost its lease (paused
	// past the lease's lifetime while another took over) must change nothing.
	Held(ctx context.Context) error
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

// Steps of a [FleetStrategy] rotation before the first step of the report;
// they appear in a [RotationError], not in the report's steps.
const (
	ActionAcquire Action = "acquire" // take the fleet's rotation lease
	ActionCurrent Action = "current" // read the fleet's current set
	ActionAwait   Action = "await"   // every live replica is on the fleet's current version
)
