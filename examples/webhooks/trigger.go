package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

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
		body, err := json.Marshal(struct {
			MSN     string          `json:"msn"`
			Event   string          `json:"event"`
			Payload json.RawMessage `json:"payload"`
		}{p.msn, string(event), payload})
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+portaltest.NotifyPath, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		fmt.Fprintf(out, "The simulator at %s sends %s about payment %s\n", baseURL, event, p.reference)
		// The endpoint needs no credentials, and none are sent; an answer
		// that redirects is no simulator's.
		hc := &http.Client{Timeout: 10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		defer hc.CloseIdleConnections()
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode == http.StatusAccepted {
			return nil
		}
		answer, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		err = fmt.Errorf("%s answered %s: %q", req.URL, resp.Status, bytes.TrimSpace(answer))
		if resp.StatusCode == http.StatusNotFound {
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
