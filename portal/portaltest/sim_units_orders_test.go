package portaltest

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestSimTestUnitCreation(t *testing.T) {
	s := newSim(t, WithKeysDelay(10*time.Second))
	dev := s.dev()
	r := s.call(dev, "POST", "/portal/v1/test-sales-units", `{"name":"Dev shop","partner":"acme","options":{"directCapture":true}}`, "Idempotency-Key", "t1")
	expect(t, r, 202, "")
	c := r.json()
	id := c["creationId"].(string)
	if c["status"] != "PENDING" || r.header.Get("Location") != "/portal/v1/test-sales-units/creations/"+id || c["msn"] != nil || c["completedAt"] != nil {
		t.Fatalf("creation: %v %s", r.header, r.body)
	}
	req := c["request"].(map[string]any)
	if opts := req["options"].(map[string]any); opts["skipLandingPage"] != false || opts["recurring"] != false || opts["directCapture"] != true {
		t.Fatalf("request not echoed with options filled in: %s", r.body)
	}
	got := s.call(dev, "GET", "/portal/v1/test-sales-units/creations/"+id, nil).json()
	msn, _ := got["msn"].(string)
	if got["status"] != "COMPLETED" || len(msn) != 6 || got["completedAt"] == nil {
		t.Fatalf("next read: %v", got)
	}
	u := s.call(dev, "GET", "/portal/v1/test-sales-units/"+msn, nil)
	expect(t, u, 200, "")
	cfg := u.json()["configuration"].(map[string]any)
	if cfg["captureType"] != "DirectCapture" || cfg["paymentAllowed"] != true || cfg["skipLandingPageAllowed"] != false || u.json()["keysReady"] != false {
		t.Fatalf("unit: %s", u.body)
	}
	// The creator holds DEVELOPER; keys come a little later.
	k := s.call(dev, "GET", "/portal/v1/sales-units/"+msn+"/keys", nil)
	expect(t, k, 409, pKeysNotReady)
	if k.header.Get("Retry-After") != "10" {
		t.Fatalf("Retry-After %q", k.header.Get("Retry-After"))
	}
	s.clock.Advance(10 * time.Second)
	expect(t, s.call(dev, "GET", "/portal/v1/sales-units/"+msn+"/keys", nil), 200, "")
	// A test unit is a 404 in the Management API; its own keys get 403 there.
	expect(t, s.call(s.admin(), "GET", "/management/v1/sales-units/"+msn, nil), 404, pNotFound)
	expect(t, s.call(s.UnitCredentials(msn), "GET", "/management/v1/sales-units/"+msn, nil), 403, pForbidden)
	expect(t, s.call(s.UnitCredentials(msn), "GET", "/portal/v1/test-sales-units", nil), 403, pNotAPortalUser)
}

func TestSimTestUnitRefusals(t *testing.T) {
	s := newSim(t)
	before := s.State()
	as := s.UserCredentials(AssistantUserID)
	for _, body := range []string{`{"name":"trail "}`, `{"name":"\u2003lead"}`, `{"name":"a\tb"}`, `{"name":""}`, `{"name":"x","extra":1}`,
		`{"name":null}`, `{"name":1}`, `not json`, `{"name":"x"} {}`, `{"name":"` + strings.Repeat("é", 51) + `"}`} {
		expect(t, s.call(s.admin(), "POST", "/portal/v1/test-sales-units", body, "Idempotency-Key", "r"), 400, pInvalidRequest)
	}
	expect(t, s.call(as, "POST", "/portal/v1/test-sales-units", `{"name":"x"}`, "Idempotency-Key", "r"), 403, pForbidden)
	expect(t, s.call(s.partner(), "POST", "/portal/v1/test-sales-units", `{"name":"x"}`, "Idempotency-Key", "r"), 403, pNotAPortalUser)
	after := s.State()
	after.IssuedTokens = before.IssuedTokens
	if !equalJSON(before, after) {
		t.Fatal("refused requests changed state")
	}
	if s.Effects(OpCreateTestSalesUnit) != 0 {
		t.Fatal("effects counted for refusals")
	}
}

func TestSimManualProvisioningAndFailure(t *testing.T) {
	s := newSim(t, WithManualProvisioning())
	s.FailNextCreation("no capacity")
	f := s.call(s.admin(), "POST", "/portal/v1/test-sales-units", `{"name":"Fails"}`, "Idempotency-Key", "f1").json()
	ok := s.call(s.admin(), "POST", "/portal/v1/test-sales-units", `{"name":"Works"}`, "Idempotency-Key", "f2").json()
	s.clock.Advance(time.Hour)
	s.tokens = map[string]string{}
	if st := s.call(s.admin(), "GET", "/portal/v1/test-sales-units/creations/"+ok["creationId"].(string), nil).json()["status"]; st != "PENDING" {
		t.Fatalf("manual creation moved on its own: %v", st)
	}
	msns := s.CompleteAll()
	if len(msns) != 1 {
		t.Fatalf("CompleteAll: %v", msns)
	}
	failed := s.call(s.admin(), "GET", "/portal/v1/test-sales-units/creations/"+f["creationId"].(string), nil).json()
	fail, _ := failed["failure"].(map[string]any)
	if failed["status"] != "FAILED" || fail == nil || fail["type"] != problemBase+pProvisioningFailed || failed["msn"] != nil {
		t.Fatalf("failed creation: %v", failed)
	}
	list := s.call(s.admin(), "GET", "/portal/v1/test-sales-units/creations?status=FAILED", nil).json()["items"].([]any)
	if len(list) != 1 {
		t.Fatalf("FAILED filter: %v", list)
	}
	expect(t, s.call(s.admin(), "GET", "/portal/v1/test-sales-units/creations?status=NOPE", nil), 400, pInvalidRequest)
	expect(t, s.call(s.admin(), "GET", "/portal/v1/sales-units/"+msns[0]+"/keys", nil), 409, pKeysNotReady)
	if err := s.IssueKeys(msns[0]); err != nil {
		t.Fatal(err)
	}
	expect(t, s.call(s.admin(), "GET", "/portal/v1/sales-units/"+msns[0]+"/keys", nil), 200, "")
}

func TestSimProductOrders(t *testing.T) {
	s := newSim(t, WithOrderStep(time.Minute))
	p := s.partner()
	body := map[string]any{"businessIdentifier": map[string]string{"scheme": "business:NO:ORG", "id": "999888777"},
		"productType": "PAYMENT_INTEGRATION", "pricePackageId": PricePackageID, "salesUnitName": "New Shop"}
	expect(t, s.call(s.admin(), "POST", "/management/v1/product-orders", body, "Idempotency-Key", "o0"), 403, pForbidden)
	expect(t, s.call(s.admin(), "GET", "/management/v1/partners/price-packages", nil), 403, pForbidden)
	bad := map[string]any{"businessIdentifier": body["businessIdentifier"], "productType": "PAYMENT_INTEGRATION", "pricePackageId": "00000000-0000-4000-8000-000000000000"}
	expect(t, s.call(p, "POST", "/management/v1/product-orders", bad, "Idempotency-Key", "o1"), 400, pInvalidRequest)
	r := s.call(p, "POST", "/management/v1/product-orders", body, "Idempotency-Key", "o2")
	expect(t, r, 201, "")
	id := r.json()["prefilledOrderId"].(string)
	if r.json()["prefillUrl"] == "" {
		t.Fatal("no prefillUrl")
	}
	get := func() map[string]any {
		s.tokens = map[string]string{}
		g := s.call(p, "GET", "/management/v2/product-orders/"+id+"/details", nil)
		expect(t, g, 200, "")
		return g.json()
	}
	if get()["status"] != "RECEIVED" {
		t.Fatal("not RECEIVED")
	}
	s.clock.Advance(2 * time.Minute)
	if get()["status"] != "ORDER_SUBMITTED" {
		t.Fatal("not ORDER_SUBMITTED")
	}
	expect(t, s.call(p, "DELETE", "/management/v1/product-orders/"+id, nil), 400, pOrderSubmitted)
	s.clock.Advance(time.Minute)
	d := get()
	su, _ := d["salesUnit"].(map[string]any)
	if d["status"] != "COMPLETED" || su == nil || su["name"] != "New Shop" {
		t.Fatalf("completed: %v", d)
	}
	expect(t, s.call(p, "GET", "/management/v1/sales-units/"+su["msn"].(string), nil), 200, "")

	// Unsubmitted orders expire after 14 days and can be deleted.
	s2 := newSim(t)
	r = s2.call(s2.partner(), "POST", "/management/v1/product-orders", body, "Idempotency-Key", "o3")
	id2 := r.json()["prefilledOrderId"].(string)
	s2.clock.Advance(14 * 24 * time.Hour)
	s2.tokens = map[string]string{}
	if st := s2.call(s2.partner(), "GET", "/management/v2/product-orders/"+id2+"/details", nil).json()["status"]; st != "EXPIRED" {
		t.Fatalf("status %v", st)
	}
	expect(t, s2.call(s2.partner(), "DELETE", "/management/v1/product-orders/"+id2, nil), 200, "")
	expect(t, s2.call(s2.partner(), "DELETE", "/management/v1/product-orders/"+id2, nil), 404, pNotFound)
	if err := s2.SetOrderStatus("nope", "COMPLETED"); err == nil {
		t.Fatal("SetOrderStatus on an unknown order")
	}
}

func TestSimFaults(t *testing.T) {
	s := newSim(t)
	admin := s.admin()
	s.InjectFault(Fault{Operation: OpGetMe, Status: 429, RetryAfter: 3 * time.Second})
	s.InjectFault(Fault{Operation: OpGetMe, Status: 503, RetryAfter: 2 * time.Second, RetryAfterDate: true})
	r := s.call(admin, "GET", "/portal/v1/me", nil)
	expect(t, r, 429, pRateLimited)
	if r.header.Get("Retry-After") != "3" {
		t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
	}
	r = s.call(admin, "GET", "/portal/v1/me", nil)
	expect(t, r, 503, pUnavailable)
	if _, err := http.ParseTime(r.header.Get("Retry-After")); err != nil {
		t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
	}
	expect(t, s.call(admin, "GET", "/portal/v1/me", nil), 200, "")
	if s.FaultsInjected() != 2 {
		t.Fatalf("FaultsInjected %d", s.FaultsInjected())
	}

	// DropAfterWork: the work is done, no answer; a retry with the key replays.
	s.InjectFault(Fault{Operation: OpInviteUser, DropAfterWork: true})
	body := map[string]string{"phoneNumber": "+4790000009", "name": "Drop", "role": "ASSISTANT"}
	req, _ := http.NewRequest("POST", s.URL+"/portal/v1/users", strings.NewReader(`{"phoneNumber":"+4790000009","name":"Drop","role":"ASSISTANT"}`))
	req.Header.Set("Authorization", "Bearer "+s.token(admin))
	req.Header.Set("Ocp-Apim-Subscription-Key", admin.SubscriptionKey.Reveal())
	req.Header.Set("Idempotency-Key", "drop-1")
	if resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("connection not dropped")
	}
	if s.Effects(OpInviteUser) != 1 {
		t.Fatal("work not done")
	}
	r = s.call(admin, "POST", "/portal/v1/users", body, "Idempotency-Key", "drop-1")
	if r.status != 201 || r.header.Get("Idempotent-Replayed") != "true" || s.Effects(OpInviteUser) != 1 {
		t.Fatalf("retry: %d %v", r.status, r.header)
	}

	// Delay respects the request's context.
	s.InjectFault(Fault{Operation: OpGetMe, Delay: time.Hour})
	ctx, cancel := context.WithCancel(t.Context())
	req, _ = http.NewRequestWithContext(ctx, "GET", s.URL+"/portal/v1/me", nil)
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}

	// The log redacts secrets.
	redacted := 0
	for _, e := range s.Requests() {
		for _, h := range []string{"Authorization", "Ocp-Apim-Subscription-Key", "Client_secret"} {
			switch v := e.Header.Get(h); v {
			case "":
			case "REDACTED":
				redacted++
			default:
				t.Fatalf("%s logged as %q", h, v)
			}
		}
	}
	if redacted == 0 {
		t.Fatal("no secret header was logged: the redaction was not exercised")
	}
	var dropped *LoggedRequest
	for _, e := range s.Requests() {
		if e.IdempotencyKey == "drop-1" && e.Status == 0 {
			dropped = &e
		}
	}
	if dropped == nil || dropped.Operation != OpInviteUser || dropped.Fault == "" {
		t.Fatal("dropped request not logged")
	}
	s.ResetRequests()
	if len(s.Requests()) != 0 {
		t.Fatal("ResetRequests")
	}
}

func TestSimRequestsOf(t *testing.T) {
	s := newSim(t)
	s.call(s.admin(), "GET", "/portal/v1/me", nil)
	s.call(s.dev(), "GET", "/portal/v1/me", nil)
	s.call(s.admin(), "GET", "/portal/v1/test-sales-units", nil)

	me := s.RequestsOf(OpGetMe)
	if len(me) != 2 || me[0].Path != "/portal/v1/me" || me[1].Path != "/portal/v1/me" {
		t.Fatalf("RequestsOf(getMe) = %+v, want the two getMe requests", me)
	}
	if got := s.RequestsOf(OpListTestSalesUnits); len(got) != 1 || got[0].Operation != OpListTestSalesUnits {
		t.Fatalf("RequestsOf(listTestSalesUnits) = %+v", got)
	}
	if got := s.RequestsOf(OpGetKeys); len(got) != 0 {
		t.Fatalf("RequestsOf(getKeys) = %+v, want none", got)
	}
}
