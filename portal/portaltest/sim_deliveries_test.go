package portaltest

import (
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// "A 2xx answer within 10 seconds delivers": an attempt whose receiver does
// not answer is cut at 10 seconds (on synctest's clock: the test does not
// wait them) and retried like any failure.
func TestSimDeliveryAttemptTimesOutAt10Seconds(t *testing.T) {
	hang := roundTripper(func(req *http.Request) (*http.Response, error) {
		<-req.Context().Done()
		return nil, req.Context().Err()
	})
	s := newSim(t, WithWebhookTransport(hang))
	unit := s.UnitCredentials(ProductionMSN)
	expect(t, s.call(unit, "POST", "/webhooks/v1/webhooks",
		map[string]any{"url": "https://hooks.example.com/x", "events": []string{"user.checked-in.v1"}}), 201, "")
	if err := s.Notify(ProductionMSN, "user.checked-in.v1", []byte(`{"msn":"123456"}`)); err != nil {
		t.Fatal(err)
	}
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		if n := s.RunDueDeliveries(); n != 1 {
			t.Fatalf("%d attempts, want 1", n)
		}
		if waited := time.Since(start); waited != attemptTimeout {
			t.Fatalf("the attempt took %v, want %v", waited, attemptTimeout)
		}
	})
	d := s.Deliveries()
	if len(d) != 1 || d[0].Status != 0 || !strings.Contains(d[0].Err, "no answer within 10s") {
		t.Fatalf("deliveries %+v", d)
	}
	if at, ok := s.NextDelivery(); !ok || !at.After(s.clock.Now()) {
		t.Fatalf("the timed-out attempt is retried later: %v %v", at, ok)
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
