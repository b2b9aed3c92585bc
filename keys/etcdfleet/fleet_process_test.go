package etcdfleet_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/keys/etcdfleet"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/vipps"
)

const (
	msn    = portaltest.ProductionMSN
	prefix = "/vipps/keys/" + msn + "/"
)

var fastRetry = portal.WithRetry(vipps.RetryPolicy{MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond})

// simSet is the unit's key set in the simulator now.
func simSet(t *testing.T, s *portaltest.Server) keys.Set {
	t.Helper()
	k, ok := s.UnitKeys(msn)
	require.True(t, ok)
	return keys.RevealedSet{MSN: k.MSN, Environment: vipps.Environment(k.Environment), ClientID: k.ClientID, ClientSecret: k.ClientSecret,
		SubscriptionKeyPrimary: k.SubscriptionKeyPrimary, SubscriptionKeySecondary: k.SubscriptionKeySecondary,
		UpdatedAt: k.UpdatedAt}.Set()
}

// newFleet is a fleet of three replicas under prefix on its own etcd client.
func newFleet(t *testing.T, endpoint string, ackTimeout time.Duration) *etcdfleet.Fleet {
	t.Helper()
	f, err := etcdfleet.New(newClient(t, endpoint), etcdfleet.Config{Prefix: prefix, Codec: etcdfleet.Plaintext,
		LeaseTTL: 5 * time.Second, AckTimeout: ackTimeout, MinReplicas: 3})
	require.NoError(t, err)
	return f
}

// publish puts set in the fleet as an operator bootstrapping it would.
func publish(t *testing.T, f *etcdfleet.Fleet, set keys.Set, inUse keys.Name) int64 {
	t.Helper()
	v, published, err := f.PublishFirst(bounded(t, 30*time.Second), set, inUse)
	require.NoError(t, err)
	require.True(t, published)
	return v
}

// fleetRotation is a full rotation through f, storing nothing beyond the fleet.
func fleetRotation(f keys.Fleet) keys.RotateOptions {
	return keys.RotateOptions{SubscriptionKeys: true, ClientSecret: true, Strategy: keys.FleetStrategy{Fleet: f}} // etcd holds the set of record: no Store needed
}

// leaseLog records who holds the rotation lease, in order, and how many at once.
type leaseLog struct {
	mu        sync.Mutex
	events    []string
	holders   int
	maxHolder int
	held      chan string // the name of each rotator that got the lease
}

// tracked is a keys.Fleet whose Acquire and release are logged.
type tracked struct {
	keys.Fleet
	name string
	log  *leaseLog
}

func (l *leaseLog) add(e string, delta int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
	l.holders += delta
	l.maxHolder = max(l.maxHolder, l.holders)
}

func (tr tracked) Acquire(ctx context.Context) (func(), error) {
	tr.log.add(tr.name+" wants", 0)
	release, err := tr.Fleet.Acquire(ctx)
	if err != nil {
		tr.log.add(tr.name+" refused", 0)
		return nil, err
	}
	tr.log.add(tr.name+" holds", 1)
	tr.log.held <- tr.name
	return func() {
		tr.log.add(tr.name+" released", -1)
		release()
	}, nil
}

// awaitWaiters watches the lock of the fleet under pfx until n rotators hold it or wait in line.
func awaitWaiters(ctx context.Context, cli *clientv3.Client, pfx string, n int) error {
	resp, err := cli.Get(ctx, pfx+"lock/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		return err
	}
	if int(resp.Count) >= n {
		return nil
	}
	for wr := range cli.Watch(ctx, pfx+"lock/", clientv3.WithPrefix(), clientv3.WithRev(resp.Header.Revision+1)) {
		if err := wr.Err(); err != nil {
			return err
		}
		resp, err := cli.Get(ctx, pfx+"lock/", clientv3.WithPrefix(), clientv3.WithCountOnly())
		if err != nil {
			return err
		}
		if int(resp.Count) >= n {
			return nil
		}
	}
	return ctx.Err()
}

// TestFleetRotatesWhileReplicaProcessesCall: three replicas, each its own OS
// process, call the simulator without pause while rotator A runs two full
// rotations (both subscription keys and the client secret) and rotator B,
// started while A holds the lease, waits in line and runs a third. Not one
// call fails, the lease is never held twice, and the first set is dead at the end.
func TestFleetRotatesWhileReplicaProcessesCall(t *testing.T) {
	endpoint := startEtcd(t)
	sim := portaltest.NewServer()
	t.Cleanup(sim.Close)
	first := simSet(t, sim)
	v0 := publish(t, newFleet(t, endpoint, time.Minute), first, keys.SubscriptionKeyPrimary)

	var reps []*replicaProc
	for i := range 3 {
		reps = append(reps, startReplica(t, fmt.Sprintf("replica-%d", i+1), endpoint, prefix, sim.URL, false))
	}
	for _, r := range reps {
		r.awaitAck(t, v0)
	}

	log := &leaseLog{held: make(chan string, 8)}
	fa := tracked{newFleet(t, endpoint, time.Minute), "A", log}
	fb := tracked{newFleet(t, endpoint, time.Minute), "B", log}
	watcher := newClient(t, endpoint)
	admin := sim.AdminClient(fastRetry)
	ctx := bounded(t, 90*time.Second)

	var wg sync.WaitGroup
	var rotations atomic.Int64
	errs := make(chan error, 8)
	wg.Go(func() {
		for i := range 2 {
			o := fleetRotation(fa)
			if i == 0 {
				// Hold the first rotation until B waits in line, so the lease is contended.
				var once sync.Once
				o.OnStep = func(keys.RotationStep) {
					once.Do(func() { errs <- awaitWaiters(ctx, watcher, prefix, 2) })
				}
			}
			_, err := admin.Keys.Rotate(ctx, msn, o)
			if err == nil {
				rotations.Add(1)
			}
			errs <- err
		}
	})
	require.Equal(t, "A", recv(t, log.held, "A holding the lease"))
	wg.Go(func() {
		_, err := admin.Keys.Rotate(ctx, msn, fleetRotation(fb))
		if err == nil {
			rotations.Add(1)
		}
		errs <- err
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	log.mu.Lock()
	events, maxHolders := log.events, log.maxHolder
	log.mu.Unlock()
	assert.Equal(t, 1, maxHolders, "never two rotators at once: %v", events)
	assert.Equal(t, []string{"A wants", "A holds", "B wants", "A released"}, events[:4], "B asked while A held and waited")
	assert.Len(t, events, 9)

	final := simSet(t, sim)
	cur, inUse, last, err := fa.Current(ctx)
	require.NoError(t, err)
	assert.Equal(t, final, cur, "the fleet holds the set in force")
	assert.NotEqual(t, first.ClientSecret, final.ClientSecret)
	assert.NotEqual(t, first.SubscriptionKey(inUse), final.SubscriptionKey(inUse))
	acks, err := fa.Fleet.(*etcdfleet.Fleet).Replicas(ctx)
	require.NoError(t, err)
	assert.Equal(t, map[string]int64{"replica-1": last, "replica-2": last, "replica-3": last}, acks)
	old, err := sim.Client(vipps.Credentials{ClientID: first.ClientID, ClientSecret: first.ClientSecret,
		SubscriptionKey: first.SubscriptionKeyPrimary, MSN: msn}, fastRetry)
	require.NoError(t, err)
	_, err = old.SalesUnits.Get(ctx, msn)
	assert.Error(t, err, "the first set gets no token any more")

	var calls, failed int64
	for _, r := range reps {
		c, f := r.stop(t)
		assert.Positive(t, c, "replica %s called", r.name)
		calls, failed = calls+c, failed+f
	}
	fmt.Printf("fleet: replicas=%d rotations=%d calls=%d failed=%d\n", len(reps), rotations.Load(), calls, failed)
	assert.Equal(t, int64(3), rotations.Load())
	assert.Zero(t, failed)
	assert.Positive(t, calls)
}

// TestFleetStopsSafelyWhenAReplicaDoesNotAcknowledge: one replica process
// never finishes switching (it stays live, on the old set). The rotation stops
// at its first switch with an error naming that replica; the new set is in
// etcd, the key the replica uses was not regenerated, and no call failed.
func TestFleetStopsSafelyWhenAReplicaDoesNotAcknowledge(t *testing.T) {
	endpoint := startEtcd(t)
	sim := portaltest.NewServer()
	t.Cleanup(sim.Close)
	first := simSet(t, sim)
	f := newFleet(t, endpoint, 5*time.Second)
	v0 := publish(t, f, first, keys.SubscriptionKeyPrimary)

	reps := []*replicaProc{
		startReplica(t, "replica-1", endpoint, prefix, sim.URL, false),
		startReplica(t, "replica-stuck", endpoint, prefix, sim.URL, true),
		startReplica(t, "replica-3", endpoint, prefix, sim.URL, false),
	}
	for _, r := range reps {
		r.awaitAck(t, v0)
	}

	ctx := bounded(t, 60*time.Second)
	_, err := sim.AdminClient(fastRetry).Keys.Rotate(ctx, msn, fleetRotation(f))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "replica-stuck")
	var ns *etcdfleet.NotSwitchedError
	require.ErrorAs(t, err, &ns)
	assert.Equal(t, []string{"replica-stuck"}, ns.Replicas)
	var se *keys.StoreError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, keys.ActionSwitch, se.Action)

	now := simSet(t, sim)
	cur, inUse, _, err := f.Current(ctx)
	require.NoError(t, err)
	assert.Equal(t, now, cur, "the new set is in etcd: nothing lost")
	assert.Equal(t, se.Set, cur)
	assert.Equal(t, keys.SubscriptionKeySecondary, inUse)
	assert.Equal(t, first.SubscriptionKeyPrimary, now.SubscriptionKeyPrimary, "the key the stuck replica uses was not regenerated")
	assert.NotEqual(t, first.SubscriptionKeySecondary, now.SubscriptionKeySecondary)
	assert.Equal(t, first.ClientSecret, now.ClientSecret)
	assert.Equal(t, 1, sim.Effects("regenerateKey"))

	// The lease was given back: another rotator gets it at once.
	release, err := newFleet(t, endpoint, time.Second).Acquire(bounded(t, 10*time.Second))
	require.NoError(t, err)
	release()

	for _, r := range reps {
		c, failed := r.stop(t)
		assert.Positive(t, c, "replica %s called", r.name)
		assert.Zero(t, failed, "replica %s lost no call", r.name)
	}
}
