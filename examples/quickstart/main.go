// Command quickstart walks the whole portal in one run: who am I, order a test
// sales unit and wait for it, list test units, read, verify and rotate its
// keys, invite a user and give them access.
//
//	go run ./examples/quickstart
//
// With no VIPPS_* settings it starts the SDK's simulator in this process and
// acts as the simulator's administrator, so it runs anywhere without Vipps.
// With VIPPS_CLIENT_ID (and the other VIPPS_* settings of portal.NewFromEnv,
// VIPPS_PORTAL_URL included) it runs against those URLs instead: the portal
// operations need a gateway that serves the SDK's portal contract.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"os"
	"os/signal"
	"strings"
	"sync"
	"time"

	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/salesunit"
	"github.com/vippsportal/sdk/users"
)

func main() {
	log.SetFlags(0)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	c, closeSim, err := newClient()
	if err != nil {
		stop()
		log.Fatalf("quickstart: %v", err)
	}
	err = run(ctx, c, os.Stdout)
	closeSim()
	stop()
	if err != nil {
		log.Printf("quickstart: %v", err)
		os.Exit(1)
	}
}

// newClient builds the client from the VIPPS_* settings, or starts the
// simulator (a test unit takes ~3 s to provision, its keys ~1 s more) and
// returns a client acting as its administrator. The func closes the simulator.
func newClient() (*portal.Client, func(), error) {
	if portal.EnvConfigured() {
		c, err := portal.NewFromEnv(portal.WithSystem("quickstart", portal.Version, "", ""))
		return c, func() {}, err
	}
	sim := portaltest.NewServer(
		portaltest.WithProvisioningDelay(3*time.Second),
		portaltest.WithKeysDelay(time.Second),
	)
	fmt.Printf("No VIPPS_* settings: using the simulator at %s as its administrator.\n\n", sim.URL)
	c, err := simClient(sim)
	if err != nil {
		sim.Close()
		return nil, nil, err
	}
	return c, sim.Close, nil
}

// simClient is a client acting as the simulator's seeded administrator. It
// spells out portal.New to show how a client is configured (against Vipps,
// with your own credentials and URLs); sim.AdminClient() is the shortcut.
func simClient(sim *portaltest.Server) (*portal.Client, error) {
	admin := sim.UserCredentials(portaltest.AdminUserID)
	return portal.New(
		portal.WithCredentials(portal.Credentials{
			ClientID:        admin.ClientID,
			ClientSecret:    keys.Secret(admin.ClientSecret),
			SubscriptionKey: keys.Secret(admin.SubscriptionKey),
		}),
		portal.WithBaseURL(sim.URL),   // token endpoint (and Management API)
		portal.WithPortalURL(sim.URL), // /portal/v1 operations
		portal.WithSystem("quickstart", portal.Version, "", ""),
	)
}

// run walks the portal with c, printing each step to out.
func run(ctx context.Context, c *portal.Client, out io.Writer) error {
	p := &printer{w: out}

	p.step("Who am I")
	me, err := c.Users.Me(ctx)
	if err != nil {
		return fmt.Errorf("who am I: %w", err)
	}
	p.line("%s (%s), %s, at %s (%s %s)", me.Name, me.Role, me.PhoneNumber, me.Merchant.Name,
		me.Merchant.BusinessIdentifier.Scheme, me.Merchant.BusinessIdentifier.ID)

	p.step("Order a test sales unit with all three options")
	req := salesunit.TestUnitRequest{Name: "Quickstart shop",
		Options: salesunit.TestUnitOptions{SkipLandingPage: true, Recurring: true, DirectCapture: true}}
	cr, err := c.TestUnits.Create(ctx, req)
	if err != nil {
		return fmt.Errorf("ordering a test unit: %w", err)
	}
	p.line("ordered %q: creation %s is %s", req.Name, cr.CreationID, cr.Status)

	p.step("Wait until it exists and its keys are issued")
	// Polls start 500 ms apart and grow to 2 s: a test unit takes seconds to
	// minutes, and the wait gives up after 5 minutes with portal.ErrWaitTimeout.
	var polls int
	var lastDelay time.Duration
	wo := salesunit.WaitOptions{MinDelay: 500 * time.Millisecond, MaxDelay: 2 * time.Second, Timeout: 5 * time.Minute, WaitForKeys: true}
	wo.OnPoll = func(ev salesunit.PollEvent) {
		polls, lastDelay = ev.Attempt, ev.NextDelay
		next := "done"
		if ev.NextDelay > 0 {
			next = "next poll in " + ev.NextDelay.Round(10*time.Millisecond).String()
		}
		p.line("poll %d after %s: %s; %s", ev.Attempt, ev.Elapsed.Round(10*time.Millisecond), pollState(ev), next)
	}
	unit, err := c.TestUnits.WaitUntilReady(ctx, cr.CreationID, &wo)
	if err != nil {
		return fmt.Errorf("waiting for test unit: %w", err)
	}
	if polls == 0 || lastDelay > 0 {
		polls++ // the poll that found it ready was not reported
		p.line("poll %d: ready", polls)
	}
	p.line("test unit %s %q is ready: capture %s, skip landing page %s, recurring %s",
		unit.MSN, unit.Name, orUnknown(string(unit.Configuration.CaptureType)), yesNo(unit.Configuration.SkipLandingPageAllowed),
		yesNo(unit.Configuration.RecurringAllowed))

	p.step("List the merchant's test units")
	n := 0
	for u, err := range c.TestUnits.All(ctx, &salesunit.ListOptions{PageSize: 50}) {
		if err != nil {
			return fmt.Errorf("listing test units: %w", err)
		}
		n++
		mark := ""
		if u.MSN == unit.MSN {
			mark = "   <- new"
		}
		p.line("%-8s %-20q options: %s%s", u.MSN, u.Name, options(u.Options), mark)
	}
	p.line("%s", plural(n, "test unit"))

	p.step("Read its keys (secrets print redacted by themselves)")
	set, err := c.Keys.Get(ctx, unit.MSN)
	if err != nil {
		return fmt.Errorf("reading keys: %w", err)
	}
	p.line("environment:              %s", set.Environment)
	p.line("clientId:                 %s", set.ClientID)
	p.line("clientSecret:             %v", set.ClientSecret)
	p.line("subscriptionKeyPrimary:   %v", set.SubscriptionKeyPrimary)
	p.line("subscriptionKeySecondary: %v", set.SubscriptionKeySecondary)

	p.step("Verify them (one token request per subscription key)")
	v, err := c.Keys.Verify(ctx, set)
	if err != nil {
		return fmt.Errorf("verifying keys: %w", err)
	}
	p.line("%s", v)

	p.step("Rotate the client secret (into an in-memory store)")
	store := &memoryStore{}
	old := *set
	rep, err := c.Keys.Rotate(ctx, unit.MSN, keys.RotateOptions{
		ClientSecret: true,
		Current:      &old,
		Store:        store.save,
		OnStep: func(s keys.RotationStep) {
			key := ""
			if s.Key != "" {
				key = " " + string(s.Key)
			}
			p.line("%-10s%s", s.Action, key)
		},
	})
	if err != nil {
		return fmt.Errorf("rotating the client secret: %w", err)
	}
	p.line("%s", rep)
	rotated, ok := store.get()
	if !ok {
		return errors.New("rotating the client secret: nothing was stored")
	}

	p.step("The old secret is refused, the new one works")
	if _, err := c.Keys.Verify(ctx, &old); err == nil {
		return errors.New("the old client secret still gets tokens after rotation")
	} else if !errors.Is(err, portal.ErrUnauthorized) {
		return fmt.Errorf("verifying the old key set: %w", err)
	} else {
		var pe *portal.Error
		problem := "refused"
		if errors.As(err, &pe) {
			problem = fmt.Sprintf("%d %s", pe.StatusCode, pe.Problem)
		}
		p.line("old set: %s (as it should be)", problem)
	}
	v, err = c.Keys.Verify(ctx, &rotated)
	if err != nil {
		return fmt.Errorf("verifying the rotated key set: %w", err)
	}
	p.line("new set: %s", v)

	p.step("Invite a user and give them DEVELOPER on the new unit")
	inv := &users.InviteRequest{PhoneNumber: freshPhoneNumber(), Name: "Quinn Quickstart", Role: users.RoleSalesUnitManager}
	u, err := c.Users.Invite(ctx, inv)
	if err != nil {
		return fmt.Errorf("inviting a user: %w", err)
	}
	p.line("invited %s (%s) as %s: user %s, %s", u.Name, u.PhoneNumber, u.Role, u.UserID, u.Status)
	access, err := c.Users.Grant(ctx, u.UserID, unit.MSN, users.PermissionDeveloper)
	if err != nil {
		return fmt.Errorf("granting access: %w", err)
	}
	p.line("granted %s on %s", joinPerms(access.Permissions), access.MSN)

	p.step("Summary")
	p.line("test unit:    %s %q, ready after %s", unit.MSN, unit.Name, plural(polls, "poll"))
	p.line("keys rotated: %s (old secret refused, new one verified)", joinNames(rep.Rotated))
	p.line("user invited: %s (%s), %s on %s", u.Name, u.PhoneNumber, joinPerms(access.Permissions), access.MSN)
	return p.err
}

// printer numbers the steps and remembers the first write error.
type printer struct {
	w   io.Writer
	n   int
	err error
}

func (p *printer) step(title string) {
	p.n++
	if p.n > 1 {
		p.printf("\n")
	}
	p.printf("%d. %s\n", p.n, title)
}

func (p *printer) line(format string, args ...any) { p.printf("   "+format+"\n", args...) }

func (p *printer) printf(format string, args ...any) {
	if _, err := fmt.Fprintf(p.w, format, args...); err != nil && p.err == nil {
		p.err = err
	}
}

// memoryStore is the rotation's store: a real integration writes to its
// secrets manager here (and its running clients read the new set from it).
type memoryStore struct {
	mu  sync.Mutex
	set keys.Set
	ok  bool
}

func (s *memoryStore) save(_ context.Context, set keys.Set, _ keys.Name) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.set, s.ok = set, true
	return nil
}

func (s *memoryStore) get() (keys.Set, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.set, s.ok
}

// pollState describes what a poll of WaitUntilReady saw.
func pollState(ev salesunit.PollEvent) string {
	switch {
	case ev.Creation != nil:
		return "creation " + string(ev.Creation.Status)
	case ev.Unit != nil:
		st := ev.Unit
		if st.KeysReady {
			return "unit " + st.MSN + " exists, keys issued"
		}
		return "unit " + st.MSN + " exists, keys not issued yet"
	}
	if ev.Err != nil {
		return "no answer yet (" + ev.Err.Error() + ")"
	}
	return "nothing yet"
}

func options(o salesunit.TestUnitOptions) string {
	var s []string
	if o.SkipLandingPage {
		s = append(s, "skipLandingPage")
	}
	if o.Recurring {
		s = append(s, "recurring")
	}
	if o.DirectCapture {
		s = append(s, "directCapture")
	}
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func yesNo(b *bool) string {
	switch {
	case b == nil:
		return "unknown"
	case *b:
		return "yes"
	}
	return "no"
}

func joinPerms(ps []users.Permission) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, ", ")
}

func joinNames(ns []keys.Name) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = string(n)
	}
	if len(s) == 0 {
		return "nothing"
	}
	return strings.Join(s, ", ")
}

// freshPhoneNumber is a Norwegian mobile number unlikely to be a user already.
func freshPhoneNumber() string {
	return fmt.Sprintf("+479%07d", rand.IntN(10_000_000))
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
