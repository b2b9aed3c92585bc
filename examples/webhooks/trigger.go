package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/webhooks"
)

// trigger makes a notification of event about p happen.
type trigger func(ctx context.Context, p payment, event webhooks.EventName) error

// simulatorTrigger sends notifications with the embedded simulator.
func simulatorTrigger(sim *portaltest.Server, out io.Writer) trigger {
	return func(_ context.Context, p payment, event webhooks.EventName) error {
		body, err := ePaymentBody(p, event)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "The simulator sends %s about payment %s\n", event, p.reference)
		if err := sim.Notify(p.msn, string(event), body); err != nil {
			return err
		}
		// Returns once the delivery is made and answered, so the run never
		// ends with an attempt still in flight.
		sim.RunDueDeliveries()
		return nil
	}
}

// standaloneTrigger sends notifications through the standalone simulator at
// baseURL: POST portaltest.NotifyPath, which is no part of Vipps' API.
func standaloneTrigger(baseURL string, out io.Writer) trigger {
	return func(ctx context.Context, p payment, event webhooks.EventName) error {
		payload, err := ePaymentBody(p, event)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "The simulator at %s sends %s about payment %s\n", baseURL, event, p.reference)
		_, err = portaltest.NotifyAt(ctx, baseURL, p.msn, string(event), payload)
		if errors.Is(err, portaltest.ErrNotASimulator) {
			err = fmt.Errorf("%w (-trigger needs a simulator, go run ./examples/simulator: Vipps sends notifications only when payments happen)", err)
		}
		return err
	}
}

// paymentPrompt asks for a payment against Vipps, where only a payment makes
// a notification.
func paymentPrompt(out io.Writer) trigger {
	return func(_ context.Context, p payment, event webhooks.EventName) error {
		unit := "your sales unit"
		if p.msn != "" {
			unit = "sales unit " + p.msn
		}
		switch event {
		case webhooks.EPaymentAuthorized:
			fmt.Fprintf(out, "Make a test payment to %s now, and approve it in the app: waiting for its notification.\n", unit)
		default:
			fmt.Fprintf(out, "Capture or cancel that payment now (or make another one to %s): waiting for its notification.\n", unit)
		}
		return nil
	}
}
