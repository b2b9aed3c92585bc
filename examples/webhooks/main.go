// Command webhooks receives Vipps webhook notifications end to end: it starts
// a receiver (webhooks.Handler), registers it for a few ePayment events,
// prints each notification it receives once verified and decoded, rotates the
// registration's secret without refusing a notification
// (webhooks.Service.RotateSecret), shows the new secret at work, and deletes
// what it registered.
//
//	go run ./examples/webhooks                # on the embedded simulator, with sales unit 123456's own keys
//	go run ./examples/webhooks -msn 123456    # the same as the unit's partner
//
// With no VIPPS_* variable set it starts the SDK's simulator in this process,
// which sends the notifications (portaltest.Server.Notify) to a receiver on a
// loopback port. Otherwise it connects with portal.NewFromEnv, with a sales
// unit's own keys or a partner's API client (-msn, or VIPPS_MSN, names the
// unit). Then:
//
//   - against a standalone simulator (go run ./examples/simulator
//     -local-webhooks, and its VIPPS_* lines), -trigger sends the
//     notifications through it (POST VIPPS_BASE_URL/_simulator/notifications,
//     portaltest.NotifyPath);
//   - against Vipps, only a payment makes a notification: -trigger is not
//     possible there. Vipps delivers only to a public https URL: give it with
//     -url and have it reach -listen (a tunnel or reverse proxy), then make a
//     test payment when asked.
//
// It deletes every registration it made, whether it succeeds, fails or is
// interrupted, and no other: each run registers a URL of its own (a random
// run= query parameter), and the clean-up removes what is registered under
// that URL alone (webhooks.Service.Ensure with it as the owned prefix), so a
// registration whose answer was lost goes too. It prints no secret.
package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/vippsportal/sdk/examples/internal/exampleenv"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/vipps"
	"github.com/vippsportal/sdk/webhooks"
)

func main() { exampleenv.Main(run) }

// events are what the example registers for: a payment's life after the
// customer approved it.
var events = []webhooks.EventName{webhooks.EPaymentAuthorized, webhooks.EPaymentCaptured, webhooks.EPaymentCancelled}

// simOverlap is RotateOptions.Overlap on a simulator. The overlap lets Vipps
// deliver what it queued for the old registration alone before that one is
// deleted (30 s by default). On a simulator this program sends every
// notification itself and waits until it arrived before it rotates, so
// nothing is queued: a short overlap, covering only a delivery in flight,
// keeps the run quick.
const simOverlap = 200 * time.Millisecond

// config is the command line.
type config struct {
	msn       string
	publicURL string
	listen    string
	trigger   bool
	timeout   time.Duration
}

const about = `webhooks starts a receiver for Vipps webhook notifications, registers it for
ePayment events, prints each notification it receives (verified and decoded),
rotates the registration's secret without refusing a notification, and deletes
what it registered, whether it succeeds, fails or is interrupted.

On the embedded simulator the simulator sends the notifications. Against a
standalone simulator -trigger sends them through it. Against Vipps only a
payment makes a notification (-trigger is not possible there): give the public
https URL that reaches -listen with -url, and make a test payment when asked.`

// run is the whole program; it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, sim exampleenv.Sim) int {
	fs := exampleenv.Flags("webhooks", about)
	var cfg config
	fs.StringVar(&cfg.msn, "msn", os.Getenv(portal.EnvMSN), "sales unit to act for as its partner (portal.WithMSN); default $VIPPS_MSN; without it the embedded simulator uses sales unit "+portaltest.ProductionMSN+"'s own keys")
	fs.StringVar(&cfg.publicURL, "url", "", "the public https URL Vipps calls, which must reach -listen (required against Vipps); default: the receiver's own loopback http URL, which only a simulator accepts")
	fs.StringVar(&cfg.listen, "listen", "127.0.0.1:0", "address the receiver listens on")
	fs.BoolVar(&cfg.trigger, "trigger", false, "send the notifications through the standalone simulator at VIPPS_BASE_URL (start it with -local-webhooks unless -url is set); only a simulator can: Vipps sends them when payments happen. Always so on the embedded simulator")
	fs.DurationVar(&cfg.timeout, "timeout", 5*time.Minute, "how long to wait for each notification")
	p := exampleenv.Program{Flags: fs, As: cfg.principal, SimOptions: simOptions, Check: cfg.check}
	return p.Run(ctx, args, stdout, stderr, sim, func(ctx context.Context, c *exampleenv.Conn) error {
		return demo(ctx, c, cfg, stdout, stderr)
	})
}

// simOptions let the embedded simulator deliver to a receiver on this machine.
func simOptions() []portaltest.Option { return []portaltest.Option{portaltest.WithLocalWebhooks()} }

// principal is whom the example acts as on the embedded simulator: the
// unit's partner with -msn, else the unit itself.
func (c *config) principal(s *portaltest.Server) vipps.Credentials {
	if c.msn != "" {
		return exampleenv.Partner(s)
	}
	return exampleenv.Unit(s)
}

// check refuses a -url that is not an absolute http(s) URL or a zero -timeout.
func (c *config) check() error {
	if c.publicURL != "" {
		u, err := url.Parse(c.publicURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return exampleenv.Usagef("-url must be an absolute https URL, got %q", c.publicURL)
		}
	}
	if c.timeout <= 0 {
		return exampleenv.Usagef("-timeout must be positive, got %s", c.timeout)
	}
	return nil
}

// demo registers a receiver, has it notified, rotates its secret, has it
// notified again and deletes what it registered.
func demo(ctx context.Context, c *exampleenv.Conn, cfg config, stdout, stderr io.Writer) (err error) {
	if cfg.msn != "" {
		ctx = portal.WithMSN(ctx, cfg.msn) // a partner acts for that unit (a unit's own keys name themselves)
	}
	notify, overlap, err := chooseTrigger(c, &cfg, stdout)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return fmt.Errorf("the receiver cannot listen: %w", err)
	}
	runID := strings.ToLower(rand.Text()[:10])
	hookURL := cfg.publicURL
	if hookURL == "" {
		hookURL = "http://" + ln.Addr().String() + "/vipps/webhooks"
	}
	hookURL = withQuery(hookURL, "run="+runID)
	recv := startReceiver(ln, hookURL, stderr)
	defer recv.stop()
	fmt.Fprintf(stdout, "Receiver listening on %s for %s\n", ln.Addr(), hookURL)

	// Whatever happens from here on, even an interrupt, what this run
	// registered goes, and nothing else.
	defer func() { err = errors.Join(err, cleanUp(ctx, c, hookURL, stdout)) }()

	// An http URL passes only on a loopback host, which only a simulator accepts.
	local := strings.HasPrefix(hookURL, "http://")
	reg, err := c.Webhooks.Register(ctx, webhooks.Registration{URL: hookURL, Events: events, AllowLocalHTTP: local})
	if err != nil {
		return fmt.Errorf("registering the receiver: %w", err)
	}
	recv.ring.AddSecret(reg.Secret)
	fmt.Fprintf(stdout, "Registered webhook %s for %v\n", reg.ID, reg.Events)

	payment := payment{msn: cfg.msn, reference: "webhooks-example-" + runID}
	if err := notifyAndReceive(ctx, notify, recv, payment, webhooks.EPaymentAuthorized, cfg.timeout, stdout); err != nil {
		return err
	}

	fmt.Fprintf(stdout, "Rotating the secret of %s (both registrations stay live for %s)\n", reg.ID, overlapText(overlap))
	twin, err := c.Webhooks.RotateSecret(ctx, reg.ID, webhooks.RotateOptions{
		Overlap: overlap,
		// Store is where a real receiver writes the new secret beside the old
		// one (a secrets manager its replicas read); here it is in memory.
		// Vipps may deliver to the new registration before this runs: the
		// Handler holds such a notification until the keyring changes.
		Store: func(_ context.Context, r *webhooks.Registered) error {
			recv.ring.AddSecret(r.Secret)
			fmt.Fprintf(stdout, "  new registration %s: the receiver verifies with both secrets\n", r.ID)
			return nil
		},
	})
	if err != nil {
		return fmt.Errorf("rotating the secret: %w", err)
	}
	// Vipps may still retry a delivery of the old registration after it is
	// deleted: a receiver that keeps running keeps the old secret for a while.
	// This one saw every notification it expected arrive, and verifies with
	// the new secret alone from here on, to show that it works.
	recv.ring.RemoveSecret(reg.Secret)
	fmt.Fprintf(stdout, "Rotated: %s replaced %s, which is deleted; the receiver verifies with the new secret alone\n", twin.ID, reg.ID)

	return notifyAndReceive(ctx, notify, recv, payment, webhooks.EPaymentCaptured, cfg.timeout, stdout)
}

// chooseTrigger returns how notifications come about here, and the rotation's
// overlap. On a simulator the program triggers them itself; against Vipps it
// asks for a payment. It settles cfg.msn where it has a default.
func chooseTrigger(c *exampleenv.Conn, cfg *config, stdout io.Writer) (trigger, time.Duration, error) {
	switch {
	case c.Sim != nil:
		if cfg.msn == "" {
			cfg.msn = portaltest.ProductionMSN // exampleenv.Unit's
		}
		return simulatorTrigger(c.Sim, stdout), simOverlap, nil
	case cfg.trigger && cfg.msn == "":
		return nil, 0, exampleenv.Usagef("-trigger needs the sales unit the notifications are about: set -msn or VIPPS_MSN")
	case cfg.trigger:
		return standaloneTrigger(c.BaseURL(), stdout), simOverlap, nil
	case cfg.publicURL == "":
		return nil, 0, exampleenv.Usagef("-url is required against Vipps: the public https URL that reaches -listen " +
			"(-trigger instead, if VIPPS_* point at a simulator: only a simulator can send notifications on demand)")
	}
	return paymentPrompt(stdout), 0, nil // 0: webhooks.DefaultOverlap
}

// overlapText says how long the rotation's overlap is, and why.
func overlapText(d time.Duration) string {
	if d == 0 {
		return webhooks.DefaultOverlap.String()
	}
	return d.String() + ": every notification sent so far has arrived"
}

// withQuery adds param to u's query.
func withQuery(u, param string) string {
	if strings.Contains(u, "?") {
		return u + "&" + param
	}
	return u + "?" + param
}

// cleanUp deletes every registration under hookURL in the call's scope (the
// one made, its twin, any whose answer was lost) and no other, and prints
// what it did. It runs on after ctx is cancelled, for at most 30 seconds.
func cleanUp(ctx context.Context, c *exampleenv.Conn, hookURL string, stdout io.Writer) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	plan, err := c.Webhooks.Ensure(ctx, webhooks.Spec{Scopes: []string{""}, OwnedPrefixes: []string{hookURL},
		Store: func(context.Context, *webhooks.Registered) error {
			return errors.New("the clean-up declares no registration: it registers nothing")
		}})
	if plan != nil && plan.Changes() > 0 {
		fmt.Fprintf(stdout, "Deleted what this run registered:\n%s", plan)
	}
	if err != nil {
		return fmt.Errorf("deleting what this run registered under %s (delete what is left by hand): %w", hookURL, err)
	}
	return nil
}

// payment is the one whose notifications the program triggers.
type payment struct {
	msn, reference string
}

// notifyAndReceive makes a notification of event about p happen and waits
// up to timeout for the receiver to accept one, which it prints.
func notifyAndReceive(ctx context.Context, notify trigger, recv *receiver, p payment, event webhooks.EventName, timeout time.Duration, stdout io.Writer) error {
	if err := notify(ctx, p, event); err != nil {
		return fmt.Errorf("sending %s: %w", event, err)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ev, err := recv.next(ctx)
	if err != nil {
		return fmt.Errorf("waiting for a notification: %w", err)
	}
	fmt.Fprintf(stdout, "Received and verified %s\n", describe(ev))
	return nil
}

// describe is one line about an event: an ePayment event's fields, or the
// size of another's body (which the SDK keeps whole in Raw).
func describe(ev webhooks.Event) string {
	p := ev.EPayment
	if p == nil {
		return fmt.Sprintf("%s (%d bytes)", ev.Name, len(ev.Raw))
	}
	return fmt.Sprintf("%s: payment %s of sales unit %s %s, %d.%02d %s (pspReference %s, %s)", ev.Name, p.Reference, p.MSN,
		p.Name, p.Amount.Value/100, p.Amount.Value%100, p.Amount.Currency, p.PSPReference, p.Timestamp.Format(time.RFC3339))
}

// ePaymentBody is the notification Vipps sends about p reaching event's
// state ("epayments.payment.captured.v1": CAPTURED).
func ePaymentBody(p payment, event webhooks.EventName) ([]byte, error) {
	name := strings.ToUpper(strings.Split(string(event), ".")[2])
	return json.Marshal(webhooks.EPaymentEvent{MSN: p.msn, Reference: p.reference, PSPReference: "psp-" + p.reference,
		Name: name, Amount: webhooks.Amount{Currency: "NOK", Value: 35000}, Timestamp: time.Now().UTC().Truncate(time.Second), Success: true})
}
