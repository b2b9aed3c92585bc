package portaltest_test

// Injected faults still answer within the contract: 429 rate-limited and 503
// unavailable may carry Retry-After (delta-seconds or an HTTP-date), 500 is
// internal; "429, 5xx ... leave the key unused".

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/portal/portaltest"
)

func TestConformanceFaultAnswers(t *testing.T) {
	clock := portaltest.NewManualClock(t0)
	h := newHarness(t, portaltest.WithClock(clock.Now), portaltest.WithManualProvisioning())
	admin, partner, mgmt := h.admin(t), h.partner(t), h.management(t)
	creds := h.s.UserCredentials(portaltest.AdminUserID)
	mk := h.s.ManagementCredentials(portaltest.PartnerID)

	type target struct {
		op string
		c  call
	}
	targets := []target{
		{portaltest.OpGetMe, call{Method: "GET", Path: pathMe, As: &admin}},
		{portaltest.OpGetAllSalesUnits, call{Method: "GET", Path: pathSalesUnit, As: &admin}},
		{portaltest.OpGetPartnerPricePackages, call{Method: "GET", Path: pathPackages, As: &partner}},
		{portaltest.OpFetchAuthorizationTokenUsingPost, call{Method: "POST", Path: "/accesstoken/get", Header: http.Header{
			"Client_id": {creds.ClientID}, "Client_secret": {creds.ClientSecret.Reveal()}, "Ocp-Apim-Subscription-Key": {creds.SubscriptionKey.Reveal()}}}},
		{portaltest.OpFetchToken, call{Method: "POST", Path: pathMiami, Body: "grant_type=client_credentials", Header: http.Header{
			"Authorization": {basicAuth(mk.ClientID, mk.ClientSecret.Reveal())}, "Content-Type": {formContentType}}}},
		{portaltest.OpGetSalesUnitsByBusinessIdentifier, call{Method: "GET", Path: merchantPath(portaltest.DefaultMerchantID) + "/sales-units", As: &mgmt}},
	}
	faults := []struct {
		status   int
		name     string
		after    time.Duration
		asDate   bool
		wantWait bool
	}{
		{429, "rate-limited", 7 * time.Second, false, true},
		{429, "rate-limited", 90 * time.Second, true, true},
		{503, "unavailable", 3 * time.Second, false, true},
		{503, "unavailable", 60 * time.Second, true, true},
		{500, "internal", 0, false, false},
		{502, "unavailable", 0, false, false},
		{504, "unavailable", 0, false, false},
	}
	for _, tg := range targets {
		for _, f := range faults {
			t.Run(tg.op+"/"+strconv.Itoa(f.status), func(t *testing.T) {
				h.s.ClearFaults()
				n := h.s.FaultsInjected()
				state := h.s.State()
				h.s.InjectFault(portaltest.Fault{Operation: tg.op, Times: 1, Status: f.status, RetryAfter: f.after, RetryAfterDate: f.asDate})
				r := h.send(t, tg.c)
				assertProblem(t, r, f.status, f.name)
				assert.Equal(t, n+1, h.s.FaultsInjected())
				ra := r.Header.Get("Retry-After")
				switch {
				case !f.wantWait:
				case f.asDate:
					at, err := http.ParseTime(ra)
					if assert.NoError(t, err, "Retry-After %q as an HTTP-date", ra) {
						assert.WithinDuration(t, clock.Now().Add(f.after), at, time.Second, "the date is on the server clock")
					}
				default:
					assert.Equal(t, strconv.Itoa(int(f.after/time.Second)), ra, "Retry-After as delta-seconds")
				}
				assert.Equal(t, state, h.s.State(), "a fault does no work")
				again := h.send(t, tg.c)
				assert.Less(t, again.Status, 300, "Times: 1 affects one request only: %s", snippet(again.Raw))
			})
		}
	}
	h.s.ClearFaults()
}

// "429, 5xx and dropped connections leave the key unused" (the 429/5xx part).
func TestConformanceFaultsLeaveKeyUnused(t *testing.T) {
	h := newHarness(t, portaltest.WithManualProvisioning())
	admin := h.admin(t)
	for _, status := range []int{429, 500, 503} {
		key := newKey()
		body := unitRequest{Name: "After a " + strconv.Itoa(status)}
		effects := h.s.Effects(portaltest.OpCreateTestSalesUnit)
		h.s.InjectFault(portaltest.Fault{Operation: portaltest.OpCreateTestSalesUnit, Times: 1, Status: status, RetryAfter: time.Second})
		r := h.post(t, admin, pathTestUnits, key, body)
		require.Equal(t, status, r.Status, "%s", r.Raw)
		assert.Equal(t, effects, h.s.Effects(portaltest.OpCreateTestSalesUnit), "the fault did no work")
		r = h.post(t, admin, pathTestUnits, key, body)
		assert.Equal(t, http.StatusAccepted, r.Status, "%s", r.Raw)
		assertNotReplayed(t, r)
		assert.Equal(t, effects+1, h.s.Effects(portaltest.OpCreateTestSalesUnit), "the retry did the work, once")
		assertReplay(t, r, h.post(t, admin, pathTestUnits, key, body))
	}
}

// The request log names operations and marks replays.
func TestConformanceRequestLog(t *testing.T) {
	h := newHarness(t, portaltest.WithManualProvisioning())
	admin := h.admin(t)
	h.s.ResetRequests()
	key := newKey()
	h.post(t, admin, pathTestUnits, key, unitRequest{Name: "Logged"})
	h.post(t, admin, pathTestUnits, key, unitRequest{Name: "Logged"})
	h.send(t, call{Method: "GET", Path: "/nope", As: &admin, Invalid: true})
	log := h.s.Requests()
	require.Len(t, log, 3)
	assert.Equal(t, portaltest.OpCreateTestSalesUnit, log[0].Operation)
	assert.Equal(t, key, log[0].IdempotencyKey)
	assert.Equal(t, http.StatusAccepted, log[0].Status)
	assert.False(t, log[0].Replayed)
	assert.True(t, log[1].Replayed)
	assert.Equal(t, "", log[2].Operation, "no operation matched")
	assert.Equal(t, http.StatusNotFound, log[2].Status)
	for _, l := range log {
		for _, hd := range []string{"Authorization", "Ocp-Apim-Subscription-Key"} {
			if v := l.Header.Get(hd); v != "" {
				assert.Equal(t, "REDACTED", v, "%s is redacted in the log", hd)
			}
		}
	}
}
