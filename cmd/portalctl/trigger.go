package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/webhooks"
)

// maxPayload bounds a notification's payload, as the simulator does.
const maxPayload = 1 << 20

func (a *app) triggerCmd() *cobra.Command {
	var event, payload string
	cmd := &cobra.Command{
		Use:   "trigger",
		Short: "Have the standalone simulator send a notification to the registrations of an event",
		Example: "  portalctl webhooks trigger --msn 123456 --event epayments.payment.captured.v1\n" +
			"  portalctl webhooks trigger --msn 123456 --event epayments.payment.captured.v1 --payload captured.json",
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), a.bound(false))
			defer cancel()
			err := a.trigger(ctx, event, payload)
			if err != nil && cmd.Context().Err() != nil {
				return errors.New("interrupted")
			}
			return err
		},
	}
	cmd.Long = "trigger POSTs {\"msn\", \"event\", \"payload\"} to the standalone simulator's notification endpoint\n" +
		"(" + portal.EnvBaseURL + portaltest.NotifyPath + "): the simulator signs it and delivers it to every\n" +
		"registration that holds the event (the unit's own, and partner-wide ones of partners connected to\n" +
		"it), retrying as Vipps does. It sends no credentials and needs only " + portal.EnvBaseURL + "; Vipps\n" +
		"itself sends real notifications, so against Vipps this command has nothing to do.\n\n" +
		"Without --payload an ePayment event gets a payload of its own form (a fresh reference, the\n" +
		"event's name, 1 NOK) and any other event {\"msn\", \"eventType\", \"reference\", \"timestamp\"}.\n" +
		"--msn (or VIPPS_MSN) is the sales unit the notification is about.\n\n" +
		"To deliver to a receiver on this machine, start the simulator with -local-webhooks and register\n" +
		"an http://127.0.0.1:PORT/... URL."
	f := cmd.Flags()
	f.StringVar(&event, "event", "", "the `EVENT`, such as epayments.payment.captured.v1 (required)")
	f.StringVar(&payload, "payload", "", "the notification's body: a JSON object in `FILE` (- for stdin)")
	_ = cmd.MarkFlagRequired("event")
	_ = cmd.MarkFlagFilename("payload", "json")
	_ = cmd.RegisterFlagCompletionFunc("event", completeWith(catalog()...))
	return cmd
}

func (a *app) trigger(ctx context.Context, event, payloadFile string) error {
	msn := a.msn
	if msn == "" {
		msn = os.Getenv(portal.EnvMSN)
	}
	if msn == "" {
		return usage("--msn is required: the sales unit the notification is about (or set %s)", portal.EnvMSN)
	}
	if !webhooks.EventName(event).Valid() {
		return usage("--event %q is not an event name such as %s", event, webhooks.EPaymentCaptured)
	}
	base, err := simulatorURL()
	if err != nil {
		return err
	}
	payload, err := a.payload(payloadFile, msn, webhooks.EventName(event))
	if err != nil {
		return err
	}
	start := time.Now()
	n, err := portaltest.NotifyAt(ctx, base, msn, event, payload)
	if a.verbose {
		a.logger().Debug("simulator request", "method", http.MethodPost, "path", portaltest.NotifyPath, "took", time.Since(start), "error", err)
	}
	said := strings.TrimPrefix(fmt.Sprint(err), "portaltest: ")
	switch {
	case err == nil:
		return a.done(map[string]any{"msn": msn, "event": event, "reference": referenceOf(payload), "registrations": n},
			fmt.Sprintf("Sent %s about %s to %d registration(s); the simulator delivers it, retrying as Vipps does.", event, msn, n))
	case errors.Is(err, portaltest.ErrNoRegistration):
		return fmt.Errorf("the simulator sent nothing: %s. Register one first: portalctl webhooks register --url URL --event %s --store FILE",
			printable(said), event)
	case errors.Is(err, portaltest.ErrNotASimulator):
		return fmt.Errorf("%s=%s is not the standalone simulator: %s. webhooks trigger sends test notifications through examples/simulator; Vipps sends real ones by itself",
			portal.EnvBaseURL, base, printable(said))
	case ctx.Err() == nil && strings.Contains(err.Error(), "no answer from"):
		return fmt.Errorf("no answer from %s=%s: is the simulator running there? (%w)", portal.EnvBaseURL, base, err)
	}
	return fmt.Errorf("the simulator refused the notification: %s", printable(said))
}

// simulatorURL is VIPPS_BASE_URL, which must name the simulator: without
// it the base URL is Vipps', which takes no notifications to send.
func simulatorURL() (string, error) {
	base := os.Getenv(portal.EnvBaseURL)
	if base == "" {
		return "", usage("%s is not set: webhooks trigger sends through the standalone simulator (examples/simulator); set %s to its address",
			portal.EnvBaseURL, portal.EnvBaseURL)
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "", usage("%s must be an absolute http(s) URL such as http://127.0.0.1:8080", portal.EnvBaseURL)
	}
	return strings.TrimSuffix(u.Scheme+"://"+u.Host+u.Path, "/"), nil
}

// payload is the notification's body: the --payload file (- for stdin),
// else one made for the event.
func (a *app) payload(file, msn string, event webhooks.EventName) (json.RawMessage, error) {
	if file == "" {
		return defaultPayload(msn, event), nil
	}
	var b []byte
	var err error
	if file == "-" {
		b, err = io.ReadAll(io.LimitReader(a.stdin, maxPayload+1))
		if err == nil && len(b) > maxPayload {
			err = fmt.Errorf("more than %d bytes", maxPayload)
		}
	} else {
		b, err = readBounded(file, maxPayload)
	}
	if err != nil {
		return nil, usage("--payload %s: %v", file, err)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil || obj == nil {
		return nil, usage("--payload %s: the payload must be a JSON object", file)
	}
	return json.RawMessage(bytes.TrimSpace(b)), nil
}

// defaultPayload is a notification of event about msn: an ePayment event in
// the form Vipps sends (webhooks.EPaymentEvent), any other with the fields
// every event has.
func defaultPayload(msn string, event webhooks.EventName) json.RawMessage {
	ref := "portalctl-" + randomHex(8)
	now := time.Now().UTC().Format(time.RFC3339)
	var v any
	if event.EPayment() {
		parts := strings.Split(string(event), ".") // epayments.payment.captured.v1
		v = map[string]any{"msn": msn, "reference": ref, "pspReference": randomHex(8), "name": strings.ToUpper(parts[len(parts)-2]),
			"amount": map[string]any{"currency": "NOK", "value": 100}, "timestamp": now, "idempotencyKey": nil, "success": true}
	} else {
		v = map[string]any{"msn": msn, "eventType": string(event), "reference": ref, "timestamp": now}
	}
	b, _ := json.Marshal(v) // maps of strings and numbers always encode
	return b
}

// referenceOf is the payload's "reference", or "".
func referenceOf(payload json.RawMessage) string {
	var p struct {
		Reference string `json:"reference"`
	}
	_ = json.Unmarshal(payload, &p)
	return p.Reference
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// readBounded reads the regular file at path, refusing one over max bytes.
func readBounded(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return nil, pe.Err // the caller names the file
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return nil, err
	} else if !fi.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err == nil && int64(len(b)) > max {
		return nil, fmt.Errorf("more than %d bytes", max)
	}
	return b, err
}
