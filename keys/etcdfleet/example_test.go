package etcdfleet_test

import (
	"context"
	"log"
	"os"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/keys/etcdfleet"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/vipps"
)

// A replica follows the fleet: it starts from the published set and hands
// every new one to its Applier (a keys.LiveSource the portal client reads,
// say), acknowledging each version once the Applier has returned.
func ExampleReplica() {
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{"https://etcd.internal:2379"}}) // with TLS and a user
	if err != nil {
		log.Fatal(err)
	}
	defer func() { _ = cli.Close() }()
	fleet, err := etcdfleet.New(cli, etcdfleet.Config{Prefix: "/vipps/keys/123456/", Codec: etcdfleet.Plaintext})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	set, inUse, _, err := fleet.Current(ctx)
	if err != nil {
		log.Fatal(err)
	}
	var src etcdfleet.Applier = newLiveKeys(set, inUse) // keys.NewLiveSource(set, inUse)
	replica, err := fleet.Replica(os.Getenv("POD_NAME"), src)
	if err != nil {
		log.Fatal(err)
	}
	// Run returns an error only when it can no longer follow the fleet: the
	// replica then no longer counts, so run it again (it rejoins with the
	// current set) or stop serving.
	for ctx.Err() == nil {
		if err := replica.Run(ctx); err != nil {
			log.Print(err)
		}
	}
}

// One rotator at a time, for the whole fleet: a second one waits for the
// lease. The rotation starts from the fleet's set and waits for every live
// replica before it regenerates an old key.
func ExampleFleet() {
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{"https://etcd.internal:2379"}})
	if err != nil {
		log.Fatal(err)
	}
	defer func() { _ = cli.Close() }()
	fleet, err := etcdfleet.New(cli, etcdfleet.Config{Prefix: "/vipps/keys/123456/", Codec: etcdfleet.Plaintext,
		AckTimeout: time.Minute})
	if err != nil {
		log.Fatal(err)
	}
	c, err := portal.New(portal.WithCredentials(vipps.Credentials{ /* the rotator's portal credentials */ }))
	if err != nil {
		log.Fatal(err)
	}
	rep, err := c.Keys.RotateFleet(context.Background(), "123456", fleet,
		keys.RotateOptions{SubscriptionKeys: true, ClientSecret: true})
	if err != nil {
		// A replica that did not switch is named; the new set is published (nothing lost).
		log.Fatal(err)
	}
	log.Print(rep)
}

// liveKeys stands in for keys.LiveSource until it is on main.
type liveKeys struct{}

func newLiveKeys(keys.Set, keys.Name) *liveKeys                    { return &liveKeys{} }
func (*liveKeys) Store(context.Context, keys.Set, keys.Name) error { return nil }
