package portaltest_test

// Rules of the contract's "Idempotency" section.

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/portal/portaltest"
)

// assertReplay asserts that replay repeats first: "the stored status, body,
// Content-Type and Location, plus Idempotent-Replayed: true".
func assertReplay(t testing.TB, first, replay *response) {
	t.Helper()
	assert.Empty(t, first.Header.Get("Idempotent-Replayed"), "the first answer is not a replay")
	assert.Equal(t, "true", replay.Header.Get("Idempotent-Replayed"), "replay header; body %s", replay.Raw)
	assert.Equal(t, first.Status, replay.Status, "replayed status")
	assert.JSONEq(t, string(first.Raw), string(replay.Raw), "replayed body")
	assert.Equal(t, first.Header.Get("Content-Type"), replay.Header.Get("Content-Type"), "replayed Content-Type")
	assert.Equal(t, first.Header.Get("Location"), replay.Header.Get("Location"), "replayed Location")
}

func assertNotReplayed(t testing.TB, r *response) {
	t.Helper()
	assert.NotEqual(t, "true", r.Header.Get("Idempotent-Replayed"), "must not be a replay: %s", snippet(r.Raw))
}

// "Every POST except POST /accesstoken/get requires Idempotency-Key
// (^[a-zA-Z0-9-]{1,50}$; missing or malformed is a 400)."
func TestConformanceIdempotencyKeyRequired(t *testing.T) {
	h := newHarness(t, portaltest.WithManualProvisioning())
	admin, partner := h.admin(t), h.partner(t)
	posts := []struct {
		name string
		as   caller
		path string
		body any
	}{
		{portaltest.OpCreateTestSalesUnit, admin, pathTestUnits, unitRequest{Name: "K"}},
		{portaltest.OpRegenerateKey, admin, regenPath(portaltest.ProductionMSN), map[string]string{"key": "clientSecret"}},
		{portaltest.OpInviteUser, admin, pathUsers, map[string]string{"phoneNumber": "+4799900001", "name": "New", "role": "ASSISTANT"}},
		{portaltest.OpOrderProduct, partner, pathOrders, orderBody(portaltest.DefaultMerchantID)},
	}
	for _, p := range posts {
		t.Run(p.name, func(t *testing.T) {
			before := h.s.State()
			effects := h.s.Effects(p.name)
			missing := h.send(t, call{Method: http.MethodPost, Path: p.path, As: &p.as, Body: p.body, Invalid: true})
			assertProblem(t, missing, 400, "invalid-request", "missing Idempotency-Key")
			for _, bad := range []string{"has space", "under_score", strings.Repeat("a", 51), "ключ", "a/b", "a.b"} {
				r := h.send(t, call{Method: http.MethodPost, Path: p.path, As: &p.as, Body: p.body, IdemKey: bad, Invalid: true})
				assertProblem(t, r, 400, "invalid-request", "Idempotency-Key %q", bad)
			}
			assert.Equal(t, before, h.s.State(), "refused for its key: nothing changed")
			assert.Equal(t, effects, h.s.Effects(p.name))

			r := h.send(t, call{Method: http.MethodPost, Path: p.path, As: &p.as, Body: p.body, IdemKey: strings.Repeat("Az0-", 12) + "xy"})
			assert.Less(t, r.Status, 300, "a 50-character key is valid: %s", r.Raw)
			assert.Equal(t, effects+1, h.s.Effects(p.name))
		})
	}
}

// Replays: same status, body, Content-Type and Location, Idempotent-Replayed,
// no work done; bodies compare as JSON values.
func TestConformanceIdempotentReplay(t *testing.T) {
	h := newHarness(t, portaltest.WithManualProvisioning())
	admin := h.admin(t)
	key := newKey()
	body := `{"name":"Replay shop","options":{"recurring":true}}`
	first := h.send(t, call{Method: http.MethodPost, Path: pathTestUnits, As: &admin, Body: body, IdemKey: key})
	require.Equal(t, http.StatusAccepted, first.Status, "%s", first.Raw)
	require.NotEmpty(t, first.Header.Get("Location"))

	effects := h.s.Effects(portaltest.OpCreateTestSalesUnit)
	state := h.s.State()

	same := h.send(t, call{Method: http.MethodPost, Path: pathTestUnits, As: &admin, Body: body, IdemKey: key})
	assertReplay(t, first, same)

	// Equal as JSON values: other key order and white space.
	reordered := "{ \"options\" : { \"recurring\" : true },\n \"name\" : \"Replay shop\" }"
	r := h.send(t, call{Method: http.MethodPost, Path: pathTestUnits, As: &admin, Body: reordered, IdemKey: key})
	assertReplay(t, first, r)
	assert.Equal(t, state, h.s.State(), "replays change nothing")

	// Even after the creation moved on, the stored answer (PENDING) replays.
	_, err := h.s.CompleteCreation(decodeAs[creation](t, first).CreationID)
	require.NoError(t, err)
	state = h.s.State()
	r = h.send(t, call{Method: http.MethodPost, Path: pathTestUnits, As: &admin, Body: body, IdemKey: key})
	assertReplay(t, first, r)
	assert.Equal(t, "PENDING", decodeAs[creation](t, r).Status, "the answer as it was")

	assert.Equal(t, effects, h.s.Effects(portaltest.OpCreateTestSalesUnit), "replays do no work")
	assert.Equal(t, state, h.s.State(), "replays change nothing")
}

// The scope is the principal, not the token: two tokens of one API client share
// keys. Keys are compared exactly (case matters: the pattern allows both cases).
func TestConformanceIdempotencyPrincipalNotToken(t *testing.T) {
	h := newHarness(t, portaltest.WithManualProvisioning())
	a1, a2 := h.admin(t), h.admin(t)
	require.NotEqual(t, a1.Token, a2.Token, "two tokens")
	key := newKey()
	first := h.post(t, a1, pathTestUnits, key, unitRequest{Name: "Token one"})
	require.Equal(t, http.StatusAccepted, first.Status)
	assertReplay(t, first, h.post(t, a2, pathTestUnits, key, unitRequest{Name: "Token one"}))

	upper := h.post(t, a1, pathTestUnits, "CaseKey", unitRequest{Name: "Case"})
	lower := h.post(t, a1, pathTestUnits, "casekey", unitRequest{Name: "Case"})
	assert.Equal(t, http.StatusAccepted, lower.Status)
	assertNotReplayed(t, lower)
	assert.NotEqual(t, decodeAs[creation](t, upper).CreationID, decodeAs[creation](t, lower).CreationID)
	assert.Equal(t, 3, h.s.Effects(portaltest.OpCreateTestSalesUnit))
}

// A request whose work was done but whose answer was lost (the connection
// dropped after the work) is retried with the same key: the work is not done
// twice. See the report: the contract's "dropped connections leave the key
// unused" read literally would make this retry create a second unit.
func TestConformanceIdempotencyRetryAfterDroppedAnswer(t *testing.T) {
	h := newHarness(t, portaltest.WithManualProvisioning())
	admin := h.admin(t)
	key := newKey()
	body := unitRequest{Name: "Answer lost"}
	h.s.InjectFault(portaltest.Fault{Operation: portaltest.OpCreateTestSalesUnit, DropAfterWork: true})
	first, err := h.exchange(call{Method: http.MethodPost, Path: pathTestUnits, As: &admin, IdemKey: key, Body: body})
	if err == nil {
		// net/http itself resends a request carrying an Idempotency-Key once
		// when a reused connection drops: that resend must be a replay.
		assert.Equal(t, "true", first.Header.Get("Idempotent-Replayed"), "net/http's own resend is answered by a replay")
	}
	require.Equal(t, 1, h.s.Effects(portaltest.OpCreateTestSalesUnit), "the work was done once")
	creations := len(allCreations(t, h, admin))

	r := h.post(t, admin, pathTestUnits, key, body)
	assert.Equal(t, http.StatusAccepted, r.Status, "%s", r.Raw)
	assert.Equal(t, 1, h.s.Effects(portaltest.OpCreateTestSalesUnit), "the retry does not do the work twice")
	assert.Len(t, allCreations(t, h, admin), creations, "no second creation")
	assert.Equal(t, "true", r.Header.Get("Idempotent-Replayed"))
}

// "The same key with a different body is a 409 idempotency-key-reused
// (answered where a replay would be)."
func TestConformanceIdempotencyKeyReused(t *testing.T) {
	h := newHarness(t, portaltest.WithManualProvisioning())
	admin, assistant := h.admin(t), h.assistant(t)
	key := newKey()
	first := h.post(t, admin, pathTestUnits, key, unitRequest{Name: "First"})
	require.Equal(t, http.StatusAccepted, first.Status)
	effects := h.s.Effects(portaltest.OpCreateTestSalesUnit)
	state := h.s.State()

	assertProblem(t, h.post(t, admin, pathTestUnits, key, unitRequest{Name: "Second"}), 409, "idempotency-key-reused")
	// {"name":"First"} and {"name":"First","options":{}} are different JSON values.
	r := h.send(t, call{Method: http.MethodPost, Path: pathTestUnits, As: &admin, IdemKey: key, Body: `{"name":"First","options":{}}`})
	assertProblem(t, r, 409, "idempotency-key-reused", "a body that differs as a JSON value")

	// Where a replay would be: validation answers before the key's check.
	r = h.send(t, call{Method: http.MethodPost, Path: pathTestUnits, As: &admin, IdemKey: key, Body: `{"name":" padded"}`, Invalid: true})
	assertProblem(t, r, 400, "invalid-request", "validation comes before the reuse check")
	r = h.send(t, call{Method: http.MethodPost, Path: pathTestUnits, As: &admin, IdemKey: key, Body: `not json`, Invalid: true})
	assertProblem(t, r, 400, "invalid-request", "a body that is not JSON is a 400, not a reuse")

	// Scoped by principal: the assistant reusing the admin's key is judged as
	// itself (403 forbidden for create), not as a reuse.
	assertProblem(t, h.post(t, assistant, pathTestUnits, key, unitRequest{Name: "Second"}), 403, "forbidden")

	assert.Equal(t, effects, h.s.Effects(portaltest.OpCreateTestSalesUnit))
	assert.Equal(t, state, h.s.State())
}

// "A key's scope is the principal, the method and the path."
func TestConformanceIdempotencyKeyScope(t *testing.T) {
	h := newHarness(t, portaltest.WithManualProvisioning())
	admin, dev := h.admin(t), h.dev(t)
	key := newKey()
	body := unitRequest{Name: "Scoped"}

	a := h.post(t, admin, pathTestUnits, key, body)
	d := h.post(t, dev, pathTestUnits, key, body)
	require.Equal(t, http.StatusAccepted, a.Status)
	require.Equal(t, http.StatusAccepted, d.Status, "%s", d.Raw)
	assertNotReplayed(t, d)
	assert.NotEqual(t, decodeAs[creation](t, a).CreationID, decodeAs[creation](t, d).CreationID, "two principals, two creations")
	assert.Equal(t, 2, h.s.Effects(portaltest.OpCreateTestSalesUnit))

	// Same key, same principal, other path.
	inv := h.post(t, admin, pathUsers, key, map[string]string{"phoneNumber": "+4799900002", "name": "Scoped User", "role": "ASSISTANT"})
	assert.Equal(t, http.StatusCreated, inv.Status, "%s", inv.Raw)
	assertNotReplayed(t, inv)

	// Same key on two units' regenerate paths: two different paths.
	r1 := h.post(t, admin, regenPath(portaltest.ProductionMSN), key, map[string]string{"key": "clientSecret"})
	r2 := h.post(t, admin, regenPath(portaltest.SecondProductionMSN), key, map[string]string{"key": "clientSecret"})
	assert.Equal(t, http.StatusOK, r1.Status)
	assert.Equal(t, http.StatusOK, r2.Status)
	assertNotReplayed(t, r2)
	assert.Equal(t, 2, h.s.Effects(portaltest.OpRegenerateKey))
}

// "Only answers given after validation and permission checks passed are stored
// ... keys-not-ready is transient, and it, 400, 401, 403, 413 ... leave the key unused."
func TestConformanceIdempotencyRefusalsLeaveKeyUnused(t *testing.T) {
	h := newHarness(t, portaltest.WithManualProvisioning())
	admin, dev := h.admin(t), h.dev(t)

	t.Run("400", func(t *testing.T) {
		key := newKey()
		effects := h.s.Effects(portaltest.OpCreateTestSalesUnit)
		bad := h.send(t, call{Method: http.MethodPost, Path: pathTestUnits, As: &admin, IdemKey: key, Body: `{"name":"trailing "}`, Invalid: true})
		assertProblem(t, bad, 400, "invalid-request")
		good := h.post(t, admin, pathTestUnits, key, unitRequest{Name: "Fixed"})
		assert.Equal(t, http.StatusAccepted, good.Status, "%s", good.Raw)
		assertNotReplayed(t, good)
		assert.Equal(t, effects+1, h.s.Effects(portaltest.OpCreateTestSalesUnit))
	})

	t.Run("401", func(t *testing.T) {
		key := newKey()
		effects := h.s.Effects(portaltest.OpCreateTestSalesUnit)
		r := h.send(t, call{Method: http.MethodPost, Path: pathTestUnits, As: &caller{Token: "bogus", SubKey: admin.SubKey}, IdemKey: key, Body: unitRequest{Name: "X"}})
		assertProblem(t, r, 401, "invalid-token")
		good := h.post(t, admin, pathTestUnits, key, unitRequest{Name: "X"})
		assert.Equal(t, http.StatusAccepted, good.Status)
		assertNotReplayed(t, good)
		assert.Equal(t, effects+1, h.s.Effects(portaltest.OpCreateTestSalesUnit))
	})

	t.Run("403", func(t *testing.T) {
		key := newKey()
		body := map[string]string{"key": "clientSecret"}
		assertProblem(t, h.post(t, dev, regenPath(portaltest.SecondProductionMSN), key, body), 403, "keys-hidden")
		g := h.do(t, admin, http.MethodPut, grantPath(portaltest.DeveloperUserID, portaltest.SecondProductionMSN), map[string][]string{"permissions": {"DEVELOPER"}}, nil)
		require.Equal(t, http.StatusOK, g.Status, "%s", g.Raw)
		effects := h.s.Effects(portaltest.OpRegenerateKey)
		r := h.post(t, dev, regenPath(portaltest.SecondProductionMSN), key, body)
		assert.Equal(t, http.StatusOK, r.Status, "the 403 stored nothing: %s", r.Raw)
		assertNotReplayed(t, r)
		assert.Equal(t, effects+1, h.s.Effects(portaltest.OpRegenerateKey))
	})

	t.Run("keys-not-ready", func(t *testing.T) {
		msn := h.keysPendingUnit(t, admin, "Slow keys")
		key := newKey()
		body := map[string]string{"key": "subscriptionKeyPrimary"}
		r := h.post(t, admin, regenPath(msn), key, body)
		assertProblem(t, r, 409, "keys-not-ready")
		assert.NotEmpty(t, r.Header.Get("Retry-After"), "keys-not-ready carries Retry-After")
		require.NoError(t, h.s.IssueKeys(msn))
		effects := h.s.Effects(portaltest.OpRegenerateKey)
		r = h.post(t, admin, regenPath(msn), key, body)
		assert.Equal(t, http.StatusOK, r.Status, "keys-not-ready is transient and stored nothing: %s", r.Raw)
		assertNotReplayed(t, r)
		assert.Equal(t, effects+1, h.s.Effects(portaltest.OpRegenerateKey))
	})
}

// "the 404/409 answers about the resource's lasting state (user-exists, say)"
// are stored and replay.
func TestConformanceIdempotencyStoredConflictReplays(t *testing.T) {
	h := newHarness(t)
	admin := h.admin(t)
	key := newKey()
	body := map[string]string{"phoneNumber": "+4792345678", "name": "Dev again", "role": "ASSISTANT"}
	first := h.post(t, admin, pathUsers, key, body)
	assertProblem(t, first, 409, "user-exists")
	// The conflicting user leaves; the stored 409 still replays.
	require.Equal(t, http.StatusNoContent, h.do(t, admin, http.MethodDelete, userPath(portaltest.DeveloperUserID), nil, nil).Status)
	effects := h.s.Effects(portaltest.OpInviteUser)
	again := h.post(t, admin, pathUsers, key, body)
	assertReplay(t, first, again)
	assert.Equal(t, effects, h.s.Effects(portaltest.OpInviteUser))
	// A fresh key does the work now.
	fresh := h.post(t, admin, pathUsers, "", body)
	assert.Equal(t, http.StatusCreated, fresh.Status, "%s", fresh.Raw)
}

// "A request that repeats the key ... is answered, once every check up to the
// caller's permission on the resource passes again, with the stored status".
func TestConformanceIdempotencyReplayRechecksPermission(t *testing.T) {
	h := newHarness(t)
	admin, dev := h.admin(t), h.dev(t)
	key := newKey()
	body := map[string]string{"key": "subscriptionKeySecondary"}
	first := h.post(t, dev, regenPath(portaltest.ProductionMSN), key, body)
	require.Equal(t, http.StatusOK, first.Status, "%s", first.Raw)
	assertReplay(t, first, h.post(t, dev, regenPath(portaltest.ProductionMSN), key, body))

	r := h.do(t, admin, http.MethodDelete, grantPath(portaltest.DeveloperUserID, portaltest.ProductionMSN), nil, nil)
	require.Equal(t, http.StatusNoContent, r.Status)
	again := h.post(t, dev, regenPath(portaltest.ProductionMSN), key, body)
	assertProblem(t, again, 403, "keys-hidden", "a replay re-checks the caller's permission first")
	assertNotReplayed(t, again)
	// A different body without permission: the 403 answers, not the reuse.
	assertProblem(t, h.post(t, dev, regenPath(portaltest.ProductionMSN), key, map[string]string{"key": "clientId"}), 403, "keys-hidden")
}

// "A stored answer is kept 24 hours."
func TestConformanceIdempotencyKeptTwentyFourHours(t *testing.T) {
	clock := portaltest.NewManualClock(t0)
	h := newHarness(t, portaltest.WithClock(clock.Now), portaltest.WithManualProvisioning())
	key := newKey()
	body := unitRequest{Name: "Day old"}
	admin := h.admin(t)
	first := h.post(t, admin, pathTestUnits, key, body)
	require.Equal(t, http.StatusAccepted, first.Status)

	clock.Advance(24*time.Hour - time.Minute)
	admin = h.admin(t) // the first token expired
	assertReplay(t, first, h.post(t, admin, pathTestUnits, key, body))
	assert.Equal(t, 1, h.s.Effects(portaltest.OpCreateTestSalesUnit))

	clock.Advance(2 * time.Minute)
	later := h.post(t, admin, pathTestUnits, key, body)
	assert.Equal(t, http.StatusAccepted, later.Status)
	assertNotReplayed(t, later)
	assert.NotEqual(t, decodeAs[creation](t, first).CreationID, decodeAs[creation](t, later).CreationID, "after 24 h the key is free again")
	assert.Equal(t, 2, h.s.Effects(portaltest.OpCreateTestSalesUnit))
}

func orderBody(merchantID string) map[string]any {
	return map[string]any{
		"businessIdentifier": map[string]string{"scheme": portaltest.DefaultMerchantScheme, "id": merchantID},
		"productType":        "PAYMENT_INTEGRATION",
		"pricePackageId":     portaltest.PricePackageID,
		"salesUnitName":      "New shop",
	}
}
