// Command test-units orders several test sales units at once and waits until
// every one exists and has its API keys, printing progress as it goes.
//
// With VIPPS_* settings (a portal user's API client and VIPPS_PORTAL_URL, see
// portal.NewFromEnv) it talks to that portal; without them it starts the SDK's
// simulator in-process.
//
//	go run ./examples/test-units -n 3 -name "Dev shop"
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"sync"
	"time"

	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/salesunit"
)

func main() {
	log.SetFlags(0)
	n := flag.Int("n", 3, "how many test units to order")
	name := flag.String("name", "Dev shop", "name prefix of the units")
	recurring := flag.Bool("recurring", true, "allow recurring payments")
	direct := flag.Bool("direct-capture", false, "capture directly instead of reserving")
	timeout := flag.Duration("timeout", 10*time.Minute, "how long to wait for the units")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	opts := salesunit.TestUnitOptions{Recurring: *recurring, DirectCapture: *direct, SkipLandingPage: true}
	if err := run(ctx, *n, *name, opts, *timeout); err != nil {
		log.Fatalf("test-units: %v", err)
	}
}

func run(ctx context.Context, n int, name string, opts salesunit.TestUnitOptions, timeout time.Duration) error {
	c, closeFn, err := client()
	if err != nil {
		return err
	}
	defer closeFn()

	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = orderOne(ctx, c, fmt.Sprintf("%s %d", name, i+1), opts, timeout)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// orderOne orders a unit and waits for it and its keys.
func orderOne(ctx context.Context, c *portal.Client, name string, opts salesunit.TestUnitOptions, timeout time.Duration) error {
	cr, err := c.TestUnits.Create(ctx, salesunit.TestUnitRequest{Name: name, Options: opts})
	if err != nil {
		return fmt.Errorf("%s: ordering: %w", name, err)
	}
	log.Printf("%s: ordered (creation %s)", name, cr.CreationID)
	u, err := c.TestUnits.WaitUntilReady(ctx, cr.CreationID, &salesunit.WaitOptions{
		Timeout: timeout, WaitForKeys: true,
		OnPoll: func(ev salesunit.PollEvent) {
			switch {
			case ev.Creation != nil:
				log.Printf("%s: %s (poll %d, next in %s)", name, ev.Creation.Status, ev.Attempt, ev.NextDelay.Round(time.Millisecond))
			case ev.Unit != nil:
				log.Printf("%s: unit %s exists, keys not issued yet (poll %d)", name, ev.Unit.MSN, ev.Attempt)
			default:
				log.Printf("%s: poll %d failed, retrying: %v", name, ev.Attempt, ev.Err)
			}
		},
	})
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	log.Printf("%s: READY as MSN %s (capture %s, keys issued)", name, u.MSN, u.Configuration.CaptureType)
	return nil
}

// client uses the VIPPS_* settings when present, else an in-process simulator
// acting as its seeded administrator, where provisioning takes a few seconds.
func client() (*portal.Client, func(), error) {
	if portal.EnvConfigured() {
		c, err := portal.NewFromEnv()
		return c, func() {}, err
	}
	s := portaltest.NewServer(portaltest.WithProvisioningDelay(3*time.Second), portaltest.WithKeysDelay(2*time.Second))
	log.Printf("no VIPPS_* settings: using the simulator at %s", s.URL)
	c, err := s.Client(s.UserCredentials(portaltest.AdminUserID))
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	return c, s.Close, nil
}
