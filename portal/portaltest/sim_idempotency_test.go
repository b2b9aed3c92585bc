package portaltest

import (
	"sync"
	"testing"
	"time"
)

func TestSimIdempotentReplay(t *testing.T) {
	s := newSim(t, WithManualProvisioning())
	admin := s.admin()
	first := s.call(admin, "POST", "/portal/v1/test-sales-units", `{"name":"Shop","options":{"recurring":true}}`, "Idempotency-Key", "abc-1")
	expect(t, first, 202, "")
	// Same JSON value, different spelling: a replay.
	again := s.call(admin, "POST", "/portal/v1/test-sales-units", `{ "options" : {"recurring": true}, "name":"Shop" }`, "Idempotency-Key", "abc-1")
	expect(t, again, 202, "")
	if again.header.Get("Idempotent-Replayed") != "true" || string(again.body) != string(first.body) ||
		again.header.Get("Location") != first.header.Get("Location") || again.header.Get("Content-Type") != first.header.Get("Content-Type") {
		t.Fatalf("not a faithful replay: %v %s", again.header, again.body)
	}
	if n := s.Effects(OpCreateTestSalesUnit); n != 1 {
		t.Fatalf("effects %d", n)
	}
	expect(t, s.call(admin, "POST", "/portal/v1/test-sales-units", `{"name":"Other"}`, "Idempotency-Key", "abc-1"), 409, pIdempotencyReused)
	// The scope includes the principal: the developer's same key is its own.
	expect(t, s.call(s.dev(), "POST", "/portal/v1/test-sales-units", `{"name":"Shop"}`, "Idempotency-Key", "abc-1"), 202, "")
	// Missing or malformed keys.
	expect(t, s.call(admin, "POST", "/portal/v1/test-sales-units", `{"name":"Shop"}`), 400, pInvalidRequest)
	expect(t, s.call(admin, "POST", "/portal/v1/test-sales-units", `{"name":"Shop"}`, "Idempotency-Key", "bad_key"), 400, pInvalidRequest)
	// Kept 24 hours, then the key is new again.
	s.clock.Advance(24 * time.Hour)
	s.tokens = map[string]string{}
	r := s.call(s.admin(), "POST", "/portal/v1/test-sales-units", `{"name":"Shop","options":{"recurring":true}}`, "Idempotency-Key", "abc-1")
	if r.status != 202 || r.header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("after 24h: %d %v", r.status, r.header)
	}
}

func TestSimIdempotencyStoresLastingConflicts(t *testing.T) {
	s := newSim(t)
	body := map[string]string{"phoneNumber": "+4792345678", "name": "Dup", "role": "ASSISTANT"}
	expect(t, s.call(s.admin(), "POST", "/portal/v1/users", body, "Idempotency-Key", "u1"), 409, pUserExists)
	r := s.call(s.admin(), "POST", "/portal/v1/users", body, "Idempotency-Key", "u1")
	if r.status != 409 || r.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("user-exists not replayed: %d %v", r.status, r.header)
	}
}

func TestSimIdempotencyTransientNotStored(t *testing.T) {
	s := newSim(t, WithManualProvisioning())
	c := s.call(s.admin(), "POST", "/portal/v1/test-sales-units", `{"name":"K"}`, "Idempotency-Key", "c1")
	msn, err := s.CompleteCreation(c.json()["creationId"].(string))
	if err != nil {
		t.Fatal(err)
	}
	path := "/portal/v1/sales-units/" + msn + "/keys/regenerate"
	r := s.call(s.admin(), "POST", path, `{"key":"clientSecret"}`, "Idempotency-Key", "r1")
	expect(t, r, 409, pKeysNotReady)
	if r.header.Get("Retry-After") == "" {
		t.Fatal("keys-not-ready without Retry-After")
	}
	if err := s.IssueKeys(msn); err != nil {
		t.Fatal(err)
	}
	r = s.call(s.admin(), "POST", path, `{"key":"clientSecret"}`, "Idempotency-Key", "r1")
	if r.status != 200 || r.header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("transient answer was stored: %d %v", r.status, r.header)
	}
}

func TestSimIdempotencyConcurrent(t *testing.T) {
	s := newSim(t, WithManualProvisioning())
	admin := s.admin()
	s.token(admin)
	s.InjectFault(Fault{Operation: OpInviteUser, Delay: 20 * time.Millisecond, Times: -1})
	var wg sync.WaitGroup
	statuses := make([]int, 8)
	for i := range statuses {
		wg.Go(func() {
			statuses[i] = s.call(admin, "POST", "/portal/v1/users",
				map[string]string{"phoneNumber": "+4799999999", "name": "Conc", "role": "ASSISTANT"}, "Idempotency-Key", "same").status
		})
	}
	wg.Wait()
	for _, st := range statuses {
		if st != 201 {
			t.Fatalf("statuses %v", statuses)
		}
	}
	if n := s.Effects(OpInviteUser); n != 1 {
		t.Fatalf("effects %d", n)
	}
}
