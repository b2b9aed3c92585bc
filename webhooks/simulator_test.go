package webhooks_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/vipps"
	"github.com/vippsportal/sdk/webhooks"
)

// End to end against the SDK's simulator: what the SDK registers, the
// simulator signs and delivers, and webhooks.Verify and webhooks.Handler accept.

// receiver is a webhooks.Handler behind a swappable key (a rotation adds a
// secret), recording every event it accepted and every answer it gave.
type receiver struct {
	srv     *httptest.Server
	url     string
	handler atomic.Pointer[http.Handler]

	mu       sync.Mutex
	events   []webhooks.Event
	statuses []int
	bodies   [][]byte
	fail     int // refuse (500) this many more authentic notifications
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		rec := httptest.NewRecorder()
		body, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(strings.NewReader(string(body)))
		(*r.handler.Load()).ServeHTTP(rec, req)
		r.mu.Lock()
		r.statuses = append(r.statuses, rec.Code)
		r.bodies = append(r.bodies, body)
		r.mu.Unlock()
		w.WriteHeader(rec.Code)
	}))
	t.Cleanup(r.srv.Close)
	r.url = r.srv.URL + "/vipps/webhooks?tenant=acme"
	return r
}

// use makes the receiver verify with secrets.
func (r *receiver) use(secrets ...vipps.Secret) {
	r.serve(webhooks.Key{URL: r.url, Secrets: secrets})
}

// serve makes the receiver verify with keys.
func (r *receiver) serve(keys webhooks.KeySource) {
	h := webhooks.Handler(keys, func(_ context.Context, ev webhooks.Event) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.fail > 0 {
			r.fail--
			return errors.New("the receiver's store is down")
		}
		r.events = append(r.events, ev)
		return nil
	})
	r.handler.Store(&h)
}

func (r *receiver) snapshot() (events []webhooks.Event, statuses []int, bodies [][]byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]webhooks.Event(nil), r.events...), append([]int(nil), r.statuses...), append([][]byte(nil), r.bodies...)
}

func ePaymentPayload(reference, name string) []byte {
	return fmt.Appendf(nil, `{"msn":%q,"reference":%q,"pspReference":"psp-%s","name":%q,"amount":{"currency":"NOK","value":35000},"timestamp":"2026-12-02T10:00:00Z","idempotencyKey":null,"success":true}`,
		portaltest.ProductionMSN, reference, reference, name)
}

// unitClient is the SDK acting with the production unit's own keys: the
// scope of its registrations is that unit.
func unitClient(t *testing.T, sim *portaltest.Server, opts ...portal.Option) *portal.Client {
	c, err := sim.Client(sim.UnitCredentials(portaltest.ProductionMSN), opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func stepDeliveries(sim *portaltest.Server, clock *portaltest.ManualClock) {
	for at, ok := sim.NextDelivery(); ok; at, ok = sim.NextDelivery() {
		clock.AdvanceTo(at)
		sim.RunDueDeliveries()
	}
}

// registered starts a simulator on a manual clock and a receiver registered
// with the production unit's own keys for events, verifying with its secret.
func registered(t *testing.T, events ...webhooks.EventName) (*portaltest.Server, *portaltest.ManualClock, *receiver, *webhooks.Registered) {
	clock := portaltest.NewManualClock(time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC))
	sim := portaltest.NewServer(portaltest.WithLocalWebhooks(), portaltest.WithClock(clock.Now))
	t.Cleanup(sim.Close)
	rcv := newReceiver(t)
	reg, err := unitClient(t, sim).Webhooks.Register(t.Context(), webhooks.Registration{URL: rcv.url, Events: events, AllowLocalHTTP: true})
	require.NoError(t, err)
	rcv.use(reg.Secret)
	return sim, clock, rcv, reg
}

func TestSimulatorNotificationsVerifyAndReachTheHandler(t *testing.T) {
	sim, clock, rcv, reg := registered(t, webhooks.EPaymentCaptured, webhooks.RecurringChargeFailed)

	// webhooks.Verify on its own accepts what the simulator sent.
	var verified atomic.Int32
	plain := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		err := webhooks.Verify(req.Header, body, webhooks.Key{URL: rcv.url, Secrets: []vipps.Secret{reg.Secret}})
		if err != nil {
			t.Errorf("Verify refused the simulator's notification: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		verified.Add(1)
		req.Body = io.NopCloser(strings.NewReader(string(body)))
		rcv2 := webhooks.Handler(webhooks.Key{URL: rcv.url, Secrets: []vipps.Secret{reg.Secret}}, func(context.Context, webhooks.Event) error { return nil })
		rcv2.ServeHTTP(w, req)
	})
	var h http.Handler = plain
	rcv.handler.Store(&h)
	require.NoError(t, sim.Notify(portaltest.ProductionMSN, string(webhooks.EPaymentCaptured), ePaymentPayload("order-10001", "CAPTURED")))
	stepDeliveries(sim, clock)
	assert.Equal(t, int32(1), verified.Load())

	// webhooks.Handler decodes it and hands it over.
	rcv.use(reg.Secret)
	require.NoError(t, sim.Notify(portaltest.ProductionMSN, string(webhooks.EPaymentCaptured), ePaymentPayload("order-10002", "CAPTURED")))
	require.NoError(t, sim.Notify(portaltest.ProductionMSN, string(webhooks.RecurringChargeFailed),
		[]byte(`{"eventType":"recurring.charge-failed.v1","chargeId":"chr-1","agreementId":"agr-1"}`)))
	stepDeliveries(sim, clock)
	events, statuses, _ := rcv.snapshot()
	require.Len(t, events, 2)
	assert.Equal(t, webhooks.EPaymentCaptured, events[0].Name)
	require.NotNil(t, events[0].EPayment)
	assert.Equal(t, "order-10002", events[0].EPayment.Reference)
	assert.Equal(t, int64(35000), events[0].EPayment.Amount.Value)
	assert.Equal(t, webhooks.RecurringChargeFailed, events[1].Name)
	assert.Nil(t, events[1].EPayment)
	assert.JSONEq(t, `{"eventType":"recurring.charge-failed.v1","chargeId":"chr-1","agreementId":"agr-1"}`, string(events[1].Raw))
	assert.Equal(t, []int{200, 200, 200}, statuses)

	// A notification for an event no registration holds is an error, not silence.
	assert.Error(t, sim.Notify(portaltest.ProductionMSN, string(webhooks.EPaymentRefunded), ePaymentPayload("order-10003", "REFUNDED")))
}

// A notification the receiver refuses comes again, with the same body, until
// it is accepted; the later notifications of its reference wait for it.
func TestSimulatorRedeliversARefusedNotificationUntilAccepted(t *testing.T) {
	sim, clock, rcv, _ := registered(t, webhooks.EPaymentAuthorized, webhooks.EPaymentCaptured)
	rcv.fail = 3

	require.NoError(t, sim.Notify(portaltest.ProductionMSN, string(webhooks.EPaymentAuthorized), ePaymentPayload("order-20001", "AUTHORIZED")))
	require.NoError(t, sim.Notify(portaltest.ProductionMSN, string(webhooks.EPaymentCaptured), ePaymentPayload("order-20001", "CAPTURED")))
	stepDeliveries(sim, clock)

	events, statuses, bodies := rcv.snapshot()
	assert.Equal(t, []int{500, 500, 500, 200, 200}, statuses, "refused three times, then accepted; the capture waited")
	for _, b := range bodies[1:4] {
		assert.Equal(t, string(bodies[0]), string(b), "the same body each time")
	}
	require.Len(t, events, 2)
	assert.Equal(t, "AUTHORIZED", events[0].EPayment.Name, "in order per reference")
	assert.Equal(t, "CAPTURED", events[1].EPayment.Name)

	var attempts []int
	for _, d := range sim.Deliveries() {
		if d.Event == string(webhooks.EPaymentAuthorized) {
			attempts = append(attempts, d.Attempt)
		}
	}
	assert.Equal(t, []int{1, 2, 3, 4}, attempts)
}

func TestSimulatorRefusesThe26thRegistrationOfAnEvent(t *testing.T) {
	sim := portaltest.NewServer()
	defer sim.Close()
	c := unitClient(t, sim)
	for i := range 25 {
		_, err := c.Webhooks.Register(t.Context(), webhooks.Registration{URL: fmt.Sprintf("https://hooks.example.com/%d", i),
			Events: []webhooks.EventName{webhooks.EPaymentCaptured}})
		require.NoError(t, err, "registration %d", i+1)
	}
	_, err := c.Webhooks.Register(t.Context(), webhooks.Registration{URL: "https://hooks.example.com/26",
		Events: []webhooks.EventName{webhooks.EPaymentAuthorized, webhooks.EPaymentCaptured}})
	var apiErr *vipps.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusBadRequest, apiErr.StatusCode)
	assert.Equal(t, vipps.ProblemWebhookLimitReached, apiErr.Problem)

	// An event the 25 do not hold still registers.
	_, err = c.Webhooks.Register(t.Context(), webhooks.Registration{URL: "https://hooks.example.com/26",
		Events: []webhooks.EventName{webhooks.EPaymentAuthorized}})
	require.NoError(t, err)
	list, err := c.Webhooks.List(t.Context())
	require.NoError(t, err)
	assert.Len(t, list, 26)

	// Rotating a secret needs a slot for the twin: at the limit nothing changes.
	_, err = c.Webhooks.RotateSecret(t.Context(), list[0].ID, webhooks.RotateOptions{Overlap: -1,
		Store: func(context.Context, *webhooks.Registered) error { t.Error("Store called at the limit"); return nil }})
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, vipps.ProblemWebhookLimitReached, apiErr.Problem)
	after, err := c.Webhooks.List(t.Context())
	require.NoError(t, err)
	assert.Equal(t, list, after)
}

// The secret is in the register's answer and nowhere else: not in a listing,
// not in the SDK's view of one.
func TestSimulatorListNeverShowsASecret(t *testing.T) {
	sim := portaltest.NewServer()
	defer sim.Close()
	c := unitClient(t, sim)
	reg, err := c.Webhooks.Register(t.Context(), webhooks.Registration{URL: "https://hooks.example.com/vipps",
		Events: []webhooks.EventName{webhooks.EPaymentCaptured}})
	require.NoError(t, err)
	secret := reg.Secret.Reveal()
	require.NotEmpty(t, secret)

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, c.BaseURL()+"/webhooks/v1/webhooks", nil)
	require.NoError(t, err)
	resp, err := c.HTTPClient().Do(req)
	require.NoError(t, err)
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(raw), reg.ID)
	assert.NotContains(t, string(raw), secret)

	list, err := c.Webhooks.List(t.Context())
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.NotContains(t, fmt.Sprintf("%+v %#v", list, list), secret)
	assert.NotContains(t, fmt.Sprintf("%+v %#v %s", reg, reg, reg.Secret), secret)
}

// A register whose answer is lost after the work leaves a registration whose
// secret nobody holds; Ensure registers one it can store and removes that one.
func TestSimulatorEnsureCleansUpAfterALostRegisterAnswer(t *testing.T) {
	sim := portaltest.NewServer()
	defer sim.Close()
	c := unitClient(t, sim, portal.WithRetry(vipps.RetryPolicy{MaxAttempts: 2, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}))
	const url = "https://hooks.example.com/vipps"
	events := []webhooks.EventName{webhooks.EPaymentAuthorized, webhooks.EPaymentCaptured}
	require.NoError(t, sim.InjectFault(portaltest.Fault{Operation: portaltest.OpRegisterWebhook, DropAfterWork: true, Times: 1}))

	// The SDK retries with the same Idempotency-Key: the retry replays the
	// stored answer, so one registration exists and its secret is known.
	reg, err := c.Webhooks.Register(t.Context(), webhooks.Registration{URL: url, Events: events})
	require.NoError(t, err)
	list, err := c.Webhooks.List(t.Context())
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, reg.ID, list[0].ID)

	// Every attempt's answer lost (net/http itself resends a request with an
	// Idempotency-Key once on a dropped reused connection, so drop them all):
	// the outcome is unknown, and the error carries the key.
	require.NoError(t, sim.InjectFault(portaltest.Fault{Operation: portaltest.OpRegisterWebhook, DropAfterWork: true, Times: -1}))
	_, err = c.Webhooks.Register(t.Context(), webhooks.Registration{URL: url, Events: events})
	sim.ClearFaults()
	var apiErr *vipps.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Zero(t, apiErr.StatusCode)
	assert.NotEmpty(t, apiErr.IdempotencyKey)
	list, err = c.Webhooks.List(t.Context())
	require.NoError(t, err)
	require.Len(t, list, 2, "the lost register did its work")

	var stored []*webhooks.Registered
	plan, err := c.Webhooks.Ensure(t.Context(), webhooks.Spec{
		Webhooks:    []webhooks.Desired{{URL: url, Events: events}},
		SecretsHeld: []string{reg.ID},
		Store:       func(_ context.Context, r *webhooks.Registered) error { stored = append(stored, r); return nil },
	})
	require.NoError(t, err)
	assert.Empty(t, stored, "the registration whose secret is held is kept; nothing new is needed")
	assert.Equal(t, 1, plan.Changes(), plan.String())
	list, err = c.Webhooks.List(t.Context())
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, reg.ID, list[0].ID, "the registration nobody holds a secret for is gone")

	// Had the first secret been lost too, Ensure registers a replacement,
	// stores it, and only then deletes what nobody can verify.
	plan, err = c.Webhooks.Ensure(t.Context(), webhooks.Spec{
		Webhooks: []webhooks.Desired{{URL: url, Events: events}},
		Store:    func(_ context.Context, r *webhooks.Registered) error { stored = append(stored, r); return nil },
	})
	require.NoError(t, err)
	require.Len(t, stored, 1, plan.String())
	list, err = c.Webhooks.List(t.Context())
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, stored[0].ID, list[0].ID)
}

// Notifications flow without pause while RotateSecret replaces the secret: the
// receiver refuses none and misses none; the overlap's double deliveries are
// recognised as duplicates by their DedupKey.
func TestSimulatorRotateSecretUnderLoadRefusesAndLosesNothing(t *testing.T) {
	sim := portaltest.NewServer(portaltest.WithLocalWebhooks())
	defer sim.Close()
	c := unitClient(t, sim)
	rcv := newReceiver(t)
	old, err := c.Webhooks.Register(t.Context(), webhooks.Registration{URL: rcv.url,
		Events: []webhooks.EventName{webhooks.EPaymentCaptured}, AllowLocalHTTP: true})
	require.NoError(t, err)
	// The receiver's key is a Keyring the rotation's Store adds to: Vipps
	// (and the simulator) may deliver to the new registration before its
	// secret is stored, and the Handler holds such a notification until then.
	ring := webhooks.NewKeyring(webhooks.Key{URL: rcv.url, Secrets: []vipps.Secret{old.Secret}})
	rcv.serve(ring)

	// One goroutine notifies without pause, before, during and after the
	// rotation, each notification's first attempt made before the next
	// (RunDueDeliveries returns once the attempts due are made).
	rotated, underway := make(chan struct{}), make(chan struct{})
	notified := make(chan int)
	go func() {
		n, after := 0, 0
		for ; after < 50; n++ {
			if err := sim.Notify(portaltest.ProductionMSN, string(webhooks.EPaymentCaptured), ePaymentPayload(fmt.Sprintf("order-%05d", n), "CAPTURED")); err != nil {
				t.Errorf("notification %d: %v", n, err)
			}
			sim.RunDueDeliveries()
			if n == 50 {
				close(underway)
			}
			select {
			case <-rotated:
				after++
			default:
			}
		}
		notified <- n
	}()
	<-underway
	twin, err := c.Webhooks.RotateSecret(t.Context(), old.ID, webhooks.RotateOptions{
		Overlap: 300 * time.Millisecond, // the simulator delivers within milliseconds
		Store: func(_ context.Context, r *webhooks.Registered) error {
			ring.AddSecret(r.Secret) // the receiver now verifies with both
			return nil
		}})
	require.NoError(t, err)
	assert.NotEqual(t, old.ID, twin.ID)
	close(rotated)
	total := <-notified
	for sim.RunDueDeliveries() > 0 {
	}

	events, statuses, _ := rcv.snapshot()
	refused := 0
	for _, s := range statuses {
		if s != http.StatusOK {
			refused++
		}
	}
	seen := map[string]int{}
	for _, ev := range events {
		require.NotNil(t, ev.EPayment)
		seen[ev.EPayment.DedupKey()]++
	}
	duplicates := len(events) - len(seen)
	t.Logf("notifications=%d deliveries=%d refused=%d lost=%d duplicates=%d", total, len(statuses), refused, total-len(seen), duplicates)
	assert.Zero(t, refused, "refused")
	assert.Positive(t, duplicates, "during the overlap each event reaches both registrations: the DedupKey tells the second delivery apart")
	assert.Len(t, seen, total, "every notification reached the handler (lost = %d)", total-len(seen))
	deliveries := sim.Deliveries()
	require.Len(t, deliveries, len(statuses), "the simulator logged every delivery the receiver answered")
	for _, d := range deliveries {
		assert.True(t, d.Delivered(), "%+v", d)
	}
	list, err := c.Webhooks.List(t.Context())
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.NotEqual(t, old.ID, list[0].ID)
}
