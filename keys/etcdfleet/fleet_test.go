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
)

// testSet is a complete key set with recognisable secrets.
func testSet(n string) keys.Set {
	return keys.RevealedSet{MSN: "123456", Environment: "production", ClientID: "client-id",
		ClientSecret: "secret-" + n, SubscriptionKeyPrimary: "primary-" + n, SubscriptionKeySecondary: "secondary-" + n,
		UpdatedAt: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}.Set()
}

// xorCodec stands in for encryption: the stored bytes are not the plain JSON.
type xorCodec struct{}

func (xorCodec) Seal(_ context.Context, b []byte) ([]byte, error) { return xor(b), nil }
func (xorCodec) Open(_ context.Context, b []byte) ([]byte, error) { return xor(b), nil }

func xor(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		out[i] = c ^ 0x5a
	}
	return out
}

// gate is an Applier that switches only when let through; it reports each
// set it finished with.
type gate struct {
	open chan struct{} // one receive lets one Store through; nil: always open
	done chan keys.Set
}

func (g *gate) Store(ctx context.Context, set keys.Set, _ keys.Name) error {
	if g.open != nil {
		select {
		case <-g.open:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	g.done <- set
	return nil
}

// runReplica runs replica name of f with applier a until the returned stop is
// called (or the test ends); acks receives each acknowledged version.
func runReplica(t *testing.T, f *etcdfleet.Fleet, name string, a etcdfleet.Applier) (acks chan int64, stop func() error) {
	t.Helper()
	r, err := f.Replica(name, a)
	require.NoError(t, err)
	acks = make(chan int64, 16)
	r.OnAck = func(v int64) { acks <- v }
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- r.Run(ctx) }()
	var once sync.Once
	var runErr error
	stop = func() error {
		once.Do(func() { cancel(); runErr = <-errc })
		return runErr
	}
	t.Cleanup(func() { _ = stop() })
	return acks, stop
}

func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(30 * time.Second):
		t.Fatalf("no %s within 30s", what)
		panic("unreachable")
	}
}

func fleetAt(t *testing.T, cli *clientv3.Client, pfx string, codec etcdfleet.Codec, ackTimeout time.Duration) *etcdfleet.Fleet {
	t.Helper()
	f, err := etcdfleet.New(cli, etcdfleet.Config{Prefix: pfx, Codec: codec, LeaseTTL: 5 * time.Second, AckTimeout: ackTimeout})
	require.NoError(t, err)
	return f
}

func TestNewRefusesAnIncompleteConfig(t *testing.T) {
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{"127.0.0.1:1"}})
	require.NoError(t, err)
	defer func() { _ = cli.Close() }()
	for _, tc := range []struct {
		cli  *clientv3.Client
		cfg  etcdfleet.Config
		want string
	}{
		{nil, etcdfleet.Config{Prefix: "/p/", Codec: etcdfleet.Plaintext}, "client"},
		{cli, etcdfleet.Config{Codec: etcdfleet.Plaintext}, "Config.Prefix"},
		{cli, etcdfleet.Config{Prefix: "/p", Codec: etcdfleet.Plaintext}, "Config.Prefix"},
		{cli, etcdfleet.Config{Prefix: "/p/"}, "Config.Codec"},
		{cli, etcdfleet.Config{Prefix: "/p/", Codec: etcdfleet.Plaintext, AckTimeout: -1}, "Config.AckTimeout"},
		{cli, etcdfleet.Config{Prefix: "/p/", Codec: etcdfleet.Plaintext, MinReplicas: -1}, "Config.MinReplicas"},
	} {
		_, err := etcdfleet.New(tc.cli, tc.cfg)
		require.Error(t, err)
		assert.Contains(t, err.Error(), tc.want)
	}
}

// TestEtcdFleet checks the fleet's parts against one embedded etcd, each
// subtest under its own prefix.
func TestEtcdFleet(t *testing.T) {
	endpoint := startEtcd(t)
	cli := newClient(t, endpoint)

	t.Run("Acquire waits for the holder and gives up when its context ends", func(t *testing.T) {
		pfx := "/acquire/"
		holder := fleetAt(t, cli, pfx, etcdfleet.Plaintext, time.Second)
		release, err := holder.Acquire(bounded(t, 30*time.Second))
		require.NoError(t, err)
		_, err = holder.Acquire(bounded(t, 30*time.Second))
		assert.Error(t, err, "one Fleet holds the lease once")

		impatient, cancel := context.WithCancel(context.Background())
		defer cancel()
		refused := make(chan error, 1)
		second := fleetAt(t, newClient(t, endpoint), pfx, etcdfleet.Plaintext, time.Second)
		go func() {
			_, err := second.Acquire(impatient)
			refused <- err
		}()
		require.NoError(t, awaitWaiters(bounded(t, 30*time.Second), cli, pfx, 2), "the second rotator waits in line")
		cancel()
		assert.ErrorIs(t, recv(t, refused, "refusal"), context.Canceled)

		next := make(chan func(), 1)
		third := fleetAt(t, newClient(t, endpoint), pfx, etcdfleet.Plaintext, time.Second)
		thirdCtx := bounded(t, 30*time.Second)
		go func() {
			r, err := third.Acquire(thirdCtx)
			assert.NoError(t, err)
			next <- r
		}()
		require.NoError(t, awaitWaiters(bounded(t, 30*time.Second), cli, pfx, 2))
		select {
		case <-next:
			t.Fatal("the lease was taken while held")
		default:
		}
		release()
		recv(t, next, "lease after the release")()
	})

	t.Run("Publish needs the lease, checked in etcd", func(t *testing.T) {
		pfx := "/publish/"
		f := fleetAt(t, cli, pfx, etcdfleet.Plaintext, time.Second)
		ctx := bounded(t, 30*time.Second)
		_, err := f.Publish(ctx, testSet("1"), keys.SubscriptionKeyPrimary)
		assert.ErrorIs(t, err, etcdfleet.ErrLeaseNotHeld)

		release, err := f.Acquire(ctx)
		require.NoError(t, err)
		v1, err := f.Publish(ctx, testSet("1"), keys.SubscriptionKeyPrimary)
		require.NoError(t, err)
		_, err = f.Publish(ctx, testSet("2"), keys.ClientSecret)
		assert.ErrorContains(t, err, "inUse")
		_, err = f.Publish(ctx, keys.Set{MSN: "123456"}, keys.SubscriptionKeyPrimary)
		assert.ErrorContains(t, err, "required")

		// Another holder took over (our lease expired, say): the write is refused.
		_, err = cli.Delete(ctx, pfx+"lock/", clientv3.WithPrefix())
		require.NoError(t, err)
		_, err = f.Publish(ctx, testSet("2"), keys.SubscriptionKeyPrimary)
		assert.ErrorIs(t, err, etcdfleet.ErrLeaseNotHeld)
		release()
		_, err = f.Publish(ctx, testSet("2"), keys.SubscriptionKeyPrimary)
		assert.ErrorIs(t, err, etcdfleet.ErrLeaseNotHeld)

		set, inUse, v, err := f.Current(ctx)
		require.NoError(t, err)
		assert.Equal(t, v1, v, "only the first publish landed")
		assert.Equal(t, testSet("1"), set)
		assert.Equal(t, keys.SubscriptionKeyPrimary, inUse)
	})

	t.Run("Held asks etcd, not a local flag", func(t *testing.T) {
		pfx := "/held/"
		ctx := bounded(t, 30*time.Second)
		f := fleetAt(t, cli, pfx, etcdfleet.Plaintext, time.Second)
		assert.ErrorIs(t, f.Held(ctx), etcdfleet.ErrLeaseNotHeld, "before Acquire")
		release, err := f.Acquire(ctx)
		require.NoError(t, err)
		require.NoError(t, f.Held(ctx))

		// The lease ends behind the session's back (etcd revokes it, as it
		// does when it expires): the local session has not noticed yet.
		lock, err := cli.Get(ctx, pfx+"lock/", clientv3.WithPrefix())
		require.NoError(t, err)
		require.Len(t, lock.Kvs, 1)
		_, err = cli.Revoke(ctx, clientv3.LeaseID(lock.Kvs[0].Lease))
		require.NoError(t, err)
		err = f.Held(ctx)
		assert.ErrorIs(t, err, etcdfleet.ErrLeaseNotHeld)
		assert.ErrorContains(t, err, "expired")
		release()
		assert.ErrorIs(t, f.Held(ctx), etcdfleet.ErrLeaseNotHeld, "after release")

		// Another holder's lock (ours deleted): the lease lives, the lock is not ours.
		release, err = f.Acquire(ctx)
		require.NoError(t, err)
		defer release()
		_, err = cli.Delete(ctx, pfx+"lock/", clientv3.WithPrefix())
		require.NoError(t, err)
		err = f.Held(ctx)
		assert.ErrorIs(t, err, etcdfleet.ErrLeaseNotHeld)
		assert.ErrorContains(t, err, "taken or removed")
	})

	t.Run("PublishFirst publishes once and never replaces", func(t *testing.T) {
		pfx := "/first/"
		ctx := bounded(t, 30*time.Second)
		f := fleetAt(t, cli, pfx, etcdfleet.Plaintext, time.Second)
		v1, published, err := f.PublishFirst(ctx, testSet("1"), keys.SubscriptionKeyPrimary)
		require.NoError(t, err)
		assert.True(t, published)
		again, published, err := f.PublishFirst(ctx, testSet("old"), keys.SubscriptionKeySecondary)
		require.NoError(t, err)
		assert.False(t, published, "a second deploy leaves the set alone")
		assert.Equal(t, v1, again)

		release, err := f.Acquire(ctx)
		require.NoError(t, err)
		v2, err := f.Publish(ctx, testSet("2"), keys.SubscriptionKeySecondary)
		require.NoError(t, err)
		release()
		got, published, err := f.PublishFirst(ctx, testSet("old"), keys.SubscriptionKeyPrimary)
		require.NoError(t, err)
		assert.False(t, published)
		assert.Equal(t, v2, got, "the rotated version is in force")
		set, inUse, v, err := f.Current(ctx)
		require.NoError(t, err)
		assert.Equal(t, v2, v)
		assert.Equal(t, testSet("2"), set)
		assert.Equal(t, keys.SubscriptionKeySecondary, inUse)

		_, _, err = f.PublishFirst(ctx, testSet("3"), keys.ClientSecret)
		assert.ErrorContains(t, err, "inUse")
	})

	t.Run("Current is version 0 before anything is published", func(t *testing.T) {
		_, _, v, err := fleetAt(t, cli, "/empty/", etcdfleet.Plaintext, time.Second).Current(bounded(t, 30*time.Second))
		require.NoError(t, err)
		assert.Zero(t, v)
	})

	t.Run("the codec decides what etcd holds", func(t *testing.T) {
		pfx := "/sealed/"
		ctx := bounded(t, 30*time.Second)
		sealed := fleetAt(t, cli, pfx, xorCodec{}, time.Second)
		release, err := sealed.Acquire(ctx)
		require.NoError(t, err)
		v, err := sealed.Publish(ctx, testSet("9"), keys.SubscriptionKeySecondary)
		require.NoError(t, err)
		release()

		raw, err := cli.Get(ctx, pfx+"set")
		require.NoError(t, err)
		require.Len(t, raw.Kvs, 1)
		for _, secret := range []string{"secret-9", "primary-9", "secondary-9"} {
			assert.NotContains(t, string(raw.Kvs[0].Value), secret)
		}
		set, inUse, got, err := sealed.Current(ctx)
		require.NoError(t, err)
		assert.Equal(t, testSet("9"), set)
		assert.Equal(t, keys.SubscriptionKeySecondary, inUse)
		assert.Equal(t, v, got)

		_, _, _, err = fleetAt(t, cli, pfx, etcdfleet.Plaintext, time.Second).Current(ctx)
		require.Error(t, err, "a fleet with another codec cannot read it")
		assert.NotContains(t, err.Error(), "secret-9")
	})

	t.Run("AwaitSwitched waits for every live replica and names the one behind", func(t *testing.T) {
		pfx := "/await/"
		ctx := bounded(t, 60*time.Second)
		f := fleetAt(t, cli, pfx, etcdfleet.Plaintext, 30*time.Second)
		short := fleetAt(t, cli, pfx, etcdfleet.Plaintext, 300*time.Millisecond)
		release, err := f.Acquire(ctx)
		require.NoError(t, err)
		defer release()
		v0, err := f.Publish(ctx, testSet("0"), keys.SubscriptionKeyPrimary)
		require.NoError(t, err)

		fast := &gate{done: make(chan keys.Set, 8)}
		slow := &gate{open: make(chan struct{}, 8), done: make(chan keys.Set, 8)}
		fastAcks, _ := runReplica(t, f, "fast", fast)
		slow.open <- struct{}{}
		slowAcks, stopSlow := runReplica(t, f, "slow", slow)
		assert.Equal(t, v0, recv(t, fastAcks, "fast's first ack"))
		assert.Equal(t, v0, recv(t, slowAcks, "slow's first ack"))
		assert.Equal(t, testSet("0"), recv(t, slow.done, "slow's first switch"))
		require.NoError(t, f.AwaitSwitched(ctx, v0), "both are on v0")

		v1, err := f.Publish(ctx, testSet("1"), keys.SubscriptionKeySecondary)
		require.NoError(t, err)
		assert.Equal(t, v1, recv(t, fastAcks, "fast's ack of v1"))
		err = short.AwaitSwitched(ctx, v1)
		var ns *etcdfleet.NotSwitchedError
		require.ErrorAs(t, err, &ns)
		assert.Equal(t, []string{"slow"}, ns.Replicas)
		assert.Equal(t, v1, ns.Version)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Contains(t, err.Error(), "slow")

		// The watch sees slow catch up.
		awaited := make(chan error, 1)
		go func() { awaited <- f.AwaitSwitched(ctx, v1) }()
		slow.open <- struct{}{}
		require.NoError(t, recv(t, awaited, "AwaitSwitched"))
		assert.Equal(t, testSet("1"), recv(t, slow.done, "slow's switch"), "slow got v1 from its watch")

		// A replica that dies stops counting: its acknowledgement goes with its lease.
		v2, err := f.Publish(ctx, testSet("2"), keys.SubscriptionKeyPrimary)
		require.NoError(t, err)
		go func() { awaited <- f.AwaitSwitched(ctx, v2) }()
		require.NoError(t, stopSlow())
		require.NoError(t, recv(t, awaited, "AwaitSwitched without slow"))
		live, err := f.Replicas(ctx)
		require.NoError(t, err)
		assert.Equal(t, map[string]int64{"fast": v2}, live)
	})

	t.Run("AwaitSwitched holds back a fleet smaller than MinReplicas", func(t *testing.T) {
		pfx := "/min/"
		ctx := bounded(t, 60*time.Second)
		f, err := etcdfleet.New(cli, etcdfleet.Config{Prefix: pfx, Codec: etcdfleet.Plaintext, AckTimeout: 30 * time.Second, MinReplicas: 2})
		require.NoError(t, err)
		short, err := etcdfleet.New(cli, etcdfleet.Config{Prefix: pfx, Codec: etcdfleet.Plaintext, AckTimeout: 300 * time.Millisecond, MinReplicas: 2})
		require.NoError(t, err)
		release, err := f.Acquire(ctx)
		require.NoError(t, err)
		defer release()
		v, err := f.Publish(ctx, testSet("0"), keys.SubscriptionKeyPrimary)
		require.NoError(t, err)
		one, _ := runReplica(t, f, "one", &gate{done: make(chan keys.Set, 8)})
		assert.Equal(t, v, recv(t, one, "one's join"))

		err = short.AwaitSwitched(ctx, v)
		var ns *etcdfleet.NotSwitchedError
		require.ErrorAs(t, err, &ns)
		assert.Empty(t, ns.Replicas)
		assert.Equal(t, 1, ns.Switched)
		assert.Contains(t, err.Error(), "only 1 live replica(s) acknowledged")

		awaited := make(chan error, 1)
		go func() { awaited <- f.AwaitSwitched(ctx, v) }()
		runReplica(t, f, "two", &gate{done: make(chan keys.Set, 8)})
		require.NoError(t, recv(t, awaited, "AwaitSwitched once two replicas are on v"))
	})

	t.Run("a replica name is one live replica", func(t *testing.T) {
		pfx := "/names/"
		ctx := bounded(t, 30*time.Second)
		f := fleetAt(t, cli, pfx, etcdfleet.Plaintext, time.Second)
		a := &gate{done: make(chan keys.Set, 8)}
		acks, _ := runReplica(t, f, "pod-a", a)
		recv(t, acks, "pod-a's join")
		twin, err := f.Replica("pod-a", a)
		require.NoError(t, err)
		err = twin.Run(ctx)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "taken")
		for _, bad := range []string{"", "a/b"} {
			_, err := f.Replica(bad, a)
			assert.Error(t, err)
		}
		_, err = f.Replica("pod-b", nil)
		assert.Error(t, err)
	})
}
