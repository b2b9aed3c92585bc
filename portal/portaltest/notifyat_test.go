package portaltest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

// NotifyAt speaks to a standalone simulator's NotifyPath as Server.Notify
// does in-process, and tells a simulator without a registration for the
// event from a server that is no simulator.
func TestNotifyAt(t *testing.T) {
	s := newSim(t, WithNotifyEndpoint()) // a manual clock: nothing is delivered here
	ctx := context.Background()
	payload := []byte(`{"msn":"123456","eventType":"user.checked-in.v1"}`)

	if _, err := NotifyAt(ctx, s.URL, ProductionMSN, "user.checked-in.v1", payload); !errors.Is(err, ErrNoRegistration) {
		t.Fatalf("no registration yet: got %v, want ErrNoRegistration", err)
	}
	unit := s.UnitCredentials(ProductionMSN)
	expect(t, s.call(unit, "POST", "/webhooks/v1/webhooks",
		map[string]any{"url": "https://hooks.example.com/x", "events": []string{"user.checked-in.v1"}}), 201, "")
	n, err := NotifyAt(ctx, s.URL+"/", ProductionMSN, "user.checked-in.v1", payload)
	if err != nil || n != 1 {
		t.Fatalf("NotifyAt = %d, %v; want 1 registration", n, err)
	}
	if _, err := NotifyAt(ctx, s.URL, ProductionMSN, "user.checked-in.v1", []byte(`[1]`)); err == nil || errors.Is(err, ErrNoRegistration) || errors.Is(err, ErrNotASimulator) {
		t.Fatalf("a payload that is no object: got %v, want the simulator's refusal", err)
	}

	vipps := httptest.NewServer(http.NotFoundHandler())
	defer vipps.Close()
	if _, err := NotifyAt(ctx, vipps.URL, ProductionMSN, "user.checked-in.v1", payload); !errors.Is(err, ErrNotASimulator) {
		t.Fatalf("a server that is no simulator: got %v, want ErrNotASimulator", err)
	}
	plain := newSim(t) // a simulator without the endpoint answers as Vipps would
	if _, err := NotifyAt(ctx, plain.URL, ProductionMSN, "user.checked-in.v1", payload); !errors.Is(err, ErrNotASimulator) {
		t.Fatalf("a simulator without WithNotifyEndpoint: got %v, want ErrNotASimulator", err)
	}
}
