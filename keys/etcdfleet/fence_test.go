package etcdfleet_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/keys/etcdfleet"
	"github.com/vippsportal/sdk/portal/portaltest"
)

// pausedKeepAlive is an etcd Lease whose keepalive stream never renews the
// lease: the session goes on believing its lease alive while etcd lets it
// expire, as when the rotator's process is paused (a GC, a stopped VM) past
// the lease's TTL.
type pausedKeepAlive struct{ clientv3.Lease }

func (pausedKeepAlive) KeepAlive(ctx context.Context, _ clientv3.LeaseID) (<-chan *clientv3.LeaseKeepAliveResponse, error) {
	ch := make(chan *clientv3.LeaseKeepAliveResponse)
	go func() { <-ctx.Done(); close(ch) }() // the session's end, as a real stream would
	return ch, nil
}

// awaitDeleted waits, on a watch, until no key under pfx is left: etcd
// removed them when their lease expired.
func awaitDeleted(ctx context.Context, t *testing.T, cli *clientv3.Client, pfx string) {
	t.Helper()
	resp, err := cli.Get(ctx, pfx, clientv3.WithPrefix(), clientv3.WithCountOnly())
	require.NoError(t, err)
	left := resp.Count
	for wr := range cli.Watch(ctx, pfx, clientv3.WithPrefix(), clientv3.WithRev(resp.Header.Revision+1)) {
		require.NoError(t, wr.Err())
		for _, ev := range wr.Events {
			if ev.Type == clientv3.EventTypeDelete {
				left--
			}
		}
		if left <= 0 {
			return
		}
	}
	t.Fatalf("the keys under %s were not deleted: %v", pfx, ctx.Err())
}

// TestRotatorThatLostItsLeaseRegeneratesNothing: rotator A takes the lease,
// proves the fleet's set, and is paused (in OnStep) while its lease's
// keepalive stays silent, until etcd lets the lease expire. Rotator B then
// takes the lease and completes a whole rotation. When A resumes, it must
// regenerate nothing: the key it would replace next is one B's published set
// uses, and every replica would get a 401.
func TestRotatorThatLostItsLeaseRegeneratesNothing(t *testing.T) {
	endpoint := startEtcd(t)
	sim := portaltest.NewServer()
	t.Cleanup(sim.Close)
	ctx := bounded(t, 60*time.Second)
	admin := sim.AdminClient(fastRetry)
	cfg := etcdfleet.Config{Prefix: prefix, Codec: etcdfleet.Plaintext, LeaseTTL: time.Second, AckTimeout: 10 * time.Second}

	paused := newClient(t, endpoint)
	paused.Lease = pausedKeepAlive{paused.Lease}
	fa, err := etcdfleet.New(paused, cfg)
	require.NoError(t, err)
	fb, err := etcdfleet.New(newClient(t, endpoint), cfg)
	require.NoError(t, err)
	publish(t, fb, simSet(t, sim), keys.SubscriptionKeyPrimary)

	atStep, resume := make(chan struct{}), make(chan struct{})
	var once sync.Once
	optsA := fleetRotation(fa)
	optsA.OnStep = func(keys.RotationStep) { once.Do(func() { close(atStep); <-resume }) }
	errA := make(chan error, 1)
	go func() {
		_, err := admin.Keys.Rotate(ctx, msn, optsA)
		errA <- err
	}()
	recv(t, atStep, "rotator A's first step")
	awaitDeleted(ctx, t, newClient(t, endpoint), prefix+"lock/") // A's lease expired in etcd

	repB, err := admin.Keys.Rotate(ctx, msn, fleetRotation(fb))
	require.NoError(t, err, "B takes the expired lease and rotates")
	assert.Len(t, repB.Rotated, 3)
	setB, _, _, err := fb.Current(ctx)
	require.NoError(t, err)
	require.Equal(t, simSet(t, sim), setB)

	close(resume)
	err = recv(t, errA, "rotator A's end")
	require.Error(t, err)
	assert.ErrorIs(t, err, etcdfleet.ErrLeaseNotHeld)
	assert.Contains(t, err.Error(), "lease")
	var re *keys.RotationError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, keys.ActionRegenerate, re.Action)

	assert.Equal(t, 3, sim.Effects("regenerateKey"), "only B's three regenerations")
	assert.Equal(t, setB, simSet(t, sim), "the set B published is the set in force")
	v, err := admin.Keys.Verify(ctx, setB)
	require.NoError(t, err)
	assert.True(t, v.OK(), "every replica on B's set keeps working")
}
