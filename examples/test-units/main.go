// Command test-units orders several test sales units at once, with the
// portal's three options, and waits until every one exists and has its API
// keys, printing progress as it goes.
//
//	go run ./examples/test-units -n 3 -name "Dev shop" -skip-landing-page -recurring -direct-capture
//
// With no VIPPS_* variable set it starts the SDK's simulator in this process
// and acts as its administrator. Otherwise it connects with portal.NewFromEnv
// (a portal user's API client, and VIPPS_PORTAL_URL).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"sync"
	"time"

	"github.com/vippsportal/sdk/examples/internal/exampleenv"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/salesunit"
)

const about = `test-units orders several test sales units at once, with the portal's three
options, and waits until each exists and has its keys.`

func main() { exampleenv.Main(run) }

// run is the whole program; it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, sim exampleenv.Sim) int {
	fs := exampleenv.Flags("test-units", about)
	n := fs.Int("n", 3, "how many test units to order")
	prefix := fs.String("name", "Dev shop", "name of the units (numbered: \"Dev shop 1\" ...)")
	partner := fs.String("partner", "", "optional free text stored with each unit (at most 50 characters)")
	var opts salesunit.TestUnitOptions
	fs.BoolVar(&opts.SkipLandingPage, "skip-landing-page", false, "allow skipping the landing page")
	fs.BoolVar(&opts.Recurring, "recurring", false, "allow recurring payments")
	fs.BoolVar(&opts.DirectCapture, "direct-capture", false, "capture directly instead of reserving")
	timeout := fs.Duration("timeout", 10*time.Minute, "how long to wait for the units")
	p := exampleenv.Program{Flags: fs, As: exampleenv.Admin, SimOptions: simOptions, Check: func() error {
		if *n < 1 {
			return exampleenv.Usagef("-n must be at least 1, got %d", *n)
		}
		return nil
	}}
	return p.Run(ctx, args, stdout, stderr, sim, func(ctx context.Context, c *exampleenv.Conn) error {
		out := log.New(stdout, "", 0) // the units report concurrently: a Logger writes each line whole
		var wg sync.WaitGroup
		errs := make([]error, *n)
		for i := range *n {
			req := salesunit.TestUnitRequest{Name: fmt.Sprintf("%s %d", *prefix, i+1), Partner: *partner, Options: opts}
			wg.Go(func() { errs[i] = orderOne(ctx, c.Client, req, *timeout, out) })
		}
		wg.Wait()
		return errors.Join(errs...)
	})
}

// simOptions make provisioning take a few seconds on the simulator, as at
// Vipps (where it can take minutes).
func simOptions() []portaltest.Option {
	return []portaltest.Option{portaltest.WithProvisioningDelay(3 * time.Second), portaltest.WithKeysDelay(2 * time.Second)}
}

// orderOne orders a unit and waits for it and its keys.
func orderOne(ctx context.Context, c *portal.Client, req salesunit.TestUnitRequest, timeout time.Duration, out *log.Logger) error {
	cr, err := c.TestUnits.Create(ctx, req)
	if err != nil {
		return fmt.Errorf("%s: ordering: %w", req.Name, err)
	}
	out.Printf("%s: ordered (creation %s)", req.Name, cr.CreationID)
	u, err := c.TestUnits.WaitUntilReady(ctx, cr.CreationID, &salesunit.WaitOptions{
		Timeout: timeout, WaitForKeys: true,
		OnPoll: func(ev salesunit.PollEvent) {
			switch s := ev.Unit; {
			case ev.Creation != nil:
				out.Printf("%s: poll %d: creation %s", req.Name, ev.Attempt, ev.Creation.Status)
			case s != nil:
				out.Printf("%s: poll %d: unit %s exists, keys issued: %t", req.Name, ev.Attempt, s.MSN, s.KeysReady)
			default:
				out.Printf("%s: poll %d failed, retrying: %v", req.Name, ev.Attempt, ev.Err)
			}
		},
	})
	if err != nil {
		return fmt.Errorf("%s: %w", req.Name, err)
	}
	out.Printf("%s: READY as MSN %s with %+v", req.Name, u.MSN, u.Options)
	return nil
}
