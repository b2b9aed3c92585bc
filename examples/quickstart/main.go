// Command quickstart walks the whole portal in one run: who am I, order a test
// sales unit and wait for it, list test units, read, verify and rotate its
// keys, invite a user and give them access.
//
//	go run ./examples/quickstart
//
// With no VIPPS_* variable set it starts the SDK's simulator in this process
// and acts as its administrator, so it runs anywhere without Vipps. Otherwise
// it connects with portal.NewFromEnv (a portal user's API client, and
// VIPPS_PORTAL_URL: a gateway that serves the SDK's portal contract).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/vippsportal/sdk/examples/internal/exampleenv"
	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/salesunit"
	"github.com/vippsportal/sdk/users"
	"github.com/vippsportal/sdk/vipps"
)

const about = `Quickstart walks the whole portal: who am I, a test sales unit ordered and
waited for, its keys read, verified and rotated, a user invited and given access.`

func main() { exampleenv.Main(run) }

// run is the whole program; it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, sim exampleenv.Sim) int {
	p := exampleenv.Program{Flags: exampleenv.Flags("quickstart", about), As: exampleenv.Admin, SimOptions: simOptions}
	return p.Run(ctx, args, stdout, stderr, sim, func(ctx context.Context, c *exampleenv.Conn) error {
		return walk(ctx, c.Client, stdout)
	})
}

// simOptions make a test unit take a few seconds to provision on the
// simulator, as at Vipps (where it can take minutes).
func simOptions() []portaltest.Option {
	return []portaltest.Option{portaltest.WithProvisioningDelay(3 * time.Second), portaltest.WithKeysDelay(time.Second)}
}

// walk goes through the portal with c, printing each step to out.
func walk(ctx context.Context, c *portal.Client, out io.Writer) error {
	n := 0
	step := func(title string) { n++; fmt.Fprintf(out, "\n%d. %s\n", n, title) }
	say := func(format string, args ...any) { fmt.Fprintf(out, "   "+format+"\n", args...) }

	step("Who am I")
	me, err := c.Users.Me(ctx)
	if err != nil {
		return fmt.Errorf("who am I: %w", err)
	}
	say("%s (%s) at %s (%s %s)", me.Name, me.Role, me.Merchant.Name,
		me.Merchant.BusinessIdentifier.Scheme, me.Merchant.BusinessIdentifier.ID)

	step("Order a test sales unit with all three options")
	req := salesunit.TestUnitRequest{Name: "Quickstart shop",
		Options: salesunit.TestUnitOptions{SkipLandingPage: true, Recurring: true, DirectCapture: true}}
	cr, err := c.TestUnits.Create(ctx, req)
	if err != nil {
		return fmt.Errorf("ordering a test unit: %w", err)
	}
	say("creation %s is %s", cr.CreationID, cr.Status)

	step("Wait until it exists and its keys are issued")
	// Polls start 500 ms apart and grow to 2 s; past 5 minutes the wait is vipps.ErrWaitTimeout.
	unit, err := c.TestUnits.WaitUntilReady(ctx, cr.CreationID, &salesunit.WaitOptions{
		MinDelay: 500 * time.Millisecond, MaxDelay: 2 * time.Second, Timeout: 5 * time.Minute, WaitForKeys: true,
		OnPoll: func(ev salesunit.PollEvent) {
			switch st := ev.Unit; {
			case ev.Creation != nil:
				say("poll %d: creation %s", ev.Attempt, ev.Creation.Status)
			case st != nil:
				say("poll %d: unit %s exists, keys issued: %t", ev.Attempt, st.MSN, st.KeysReady)
			default:
				say("poll %d: no answer yet (%v)", ev.Attempt, ev.Err)
			}
		},
	})
	if err != nil {
		return fmt.Errorf("waiting for the test unit: %w", err)
	}
	say("test unit %s %q is ready: %+v", unit.MSN, unit.Name, unit.Options)

	step("List the merchant's test units")
	for u, err := range c.TestUnits.All(ctx, &vipps.ListOptions{PageSize: 50}) {
		if err != nil {
			return fmt.Errorf("listing test units: %w", err)
		}
		say("%s %q", u.MSN, u.Name)
	}

	step("Read its keys (secrets print redacted by themselves)")
	set, err := c.Keys.Get(ctx, unit.MSN)
	if err != nil {
		return fmt.Errorf("reading keys: %w", err)
	}
	say("clientId %s, clientSecret %v, subscriptionKeyPrimary %v", set.ClientID, set.ClientSecret, set.SubscriptionKeyPrimary)

	step("Verify them (one token request per subscription key)")
	v, err := c.Keys.Verify(ctx, *set)
	if err != nil {
		return fmt.Errorf("verifying keys: %w", err)
	}
	say("%s", v)

	step("Rotate the client secret")
	var rotated *keys.Set // a real integration stores the new set in its secrets manager
	rep, err := c.Keys.Rotate(ctx, unit.MSN, keys.RotateOptions{
		ClientSecret: true,
		Current:      set,
		Store:        func(_ context.Context, s keys.Set, _ keys.Name) error { rotated = &s; return nil },
		Strategy:     keys.DrainStrategy{Drain: -1}, // nothing else uses the unit's keys yet
		OnStep:       func(s keys.RotationStep) { say("%s", s) },
	})
	if err != nil {
		return fmt.Errorf("rotating the client secret: %w", err)
	}
	say("%s", rep)

	step("The old secret is refused, the new one works")
	var apiErr *vipps.Error
	if _, err := c.Keys.Verify(ctx, *set); !errors.As(err, &apiErr) || !errors.Is(err, vipps.ErrUnauthorized) {
		return fmt.Errorf("the old client secret should be refused, got %v", err)
	}
	say("old set: %d %s", apiErr.StatusCode, apiErr.Problem)
	if v, err = c.Keys.Verify(ctx, *rotated); err != nil {
		return fmt.Errorf("verifying the rotated key set: %w", err)
	}
	say("new set: %s", v)

	step("Invite a user and give them DEVELOPER on the new unit")
	phone := fmt.Sprintf("+479%07d", rand.IntN(10_000_000)) // a fresh Norwegian mobile number
	u, err := c.Users.Invite(ctx, users.InviteRequest{PhoneNumber: phone, Name: "Quinn Quickstart", Role: users.RoleSalesUnitManager})
	if err != nil {
		return fmt.Errorf("inviting a user: %w", err)
	}
	say("invited %s (%s) as %s: user %s, %s", u.Name, u.PhoneNumber, u.Role, u.UserID, u.Status)
	access, err := c.Users.Grant(ctx, u.UserID, unit.MSN, users.PermissionDeveloper)
	if err != nil {
		return fmt.Errorf("granting access: %w", err)
	}
	say("granted %v on %s", access.Permissions, access.MSN)
	return nil
}
