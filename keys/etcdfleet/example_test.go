package etcdfleet_test

import (
	"context"
	"encoding/json"
	"log"
	"os"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/keys/etcdfleet"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/vipps"
)

// The fleet's first set: before the first replica starts, the deploy job
// publishes the set of record (from your secrets manager) and the
// subscription key in use. PublishFirst never replaces a set that is there, so
// the job can run on every deploy: after a rotation it leaves the fleet's
// newer set alone.
func ExampleFleet_PublishFirst() {
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{"https://etcd.internal:2379"}}) // with TLS and a user
	if err != nil {
		log.Fatal(err)
	}
	defer func() { _ = cli.Close() }()
	fleet, err := etcdfleet.New(cli, etcdfleet.Config{Prefix: "/vipps/keys/123456/", Codec: etcdfleet.Plaintext})
	if err != nil {
		log.Fatal(err)
	}
	var kf keys.KeyFile // {"inUse": ..., "keys": {...}}, as your secrets manager holds it
	if err := json.Unmarshal([]byte(os.Getenv("VIPPS_KEY_FILE")), &kf); err != nil {
		log.Fatal("VIPPS_KEY_FILE is not a key file") // the error could quote a secret: do not print it
	}
	version, published, err := fleet.PublishFirst(context.Background(), kf.Keys.Set(), kf.InUse)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("fleet at version %d (published by this job: %t)", version, published)
}

// A replica follows the fleet: it starts from the published set and hands
// every new one to its Applier, here the keys.LiveSource its portal client
// reads, acknowledging each version once the Applier has returned (once the
// calls on the old keys have their answers).
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
	set, inUse, version, err := fleet.Current(ctx)
	if err != nil {
		log.Fatal(err)
	}
	if version == 0 {
		log.Fatal("the fleet holds no key set yet: publish the first with Fleet.PublishFirst")
	}
	live := keys.NewLiveSource(set, inUse)
	client, err := portal.New(portal.WithKeySource(live)) // its services and HTTPClient() use the live keys
	if err != nil {
		log.Fatal(err)
	}
	_ = client
	replica, err := fleet.Replica(os.Getenv("POD_NAME"), live)
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
// lease. The rotation starts from the fleet's set, waits for every live
// replica before it regenerates an old key, and regenerates nothing once its
// lease is lost.
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
	rep, err := c.Keys.Rotate(context.Background(), "123456", keys.RotateOptions{
		SubscriptionKeys: true, ClientSecret: true,
		Strategy: keys.FleetStrategy{Fleet: fleet},
		Store: func(ctx context.Context, set keys.Set, inUse keys.Name) error {
			return nil // save set.Reveal() and inUse in your secrets manager: called before each publish
		},
	})
	if err != nil {
		// A replica that did not switch is named; the new set is published (nothing lost).
		log.Fatal(err)
	}
	log.Print(rep)
}
