package portaltest_test

// The contract's "Test sales units" section.

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/portal/portaltest"
)

var (
	uuidRE   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	sixDigit = regexp.MustCompile(`^\d{6}$`)
)

// "answers 202 with a creation record (PENDING) and Location"; "msn and
// completedAt are present if and only if the status is COMPLETED"; keys-not-ready
// with Retry-After until the keys are issued.
func TestConformanceTestUnitLifecycle(t *testing.T) {
	clock := portaltest.NewManualClock(t0)
	h := newHarness(t, portaltest.WithManualProvisioning(), portaltest.WithClock(clock.Now))
	admin := h.admin(t)

	r := h.post(t, admin, pathTestUnits, "", unitRequest{Name: "Lifecycle", Partner: "free text ✓"})
	require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Raw)
	c := decodeAs[creation](t, r)
	assert.Regexp(t, uuidRE, c.CreationID)
	assert.Equal(t, "PENDING", c.Status)
	assert.Equal(t, creationPath(c.CreationID), r.Header.Get("Location"), "Location is the creation record's absolute path")
	raw := r.JSON()
	assert.NotContains(t, raw, "msn", "no msn while PENDING")
	assert.NotContains(t, raw, "completedAt", "no completedAt while PENDING")
	assert.NotContains(t, raw, "failure", "no failure unless FAILED")
	assert.Equal(t, "free text ✓", c.Request.Partner, "partner is echoed")
	created, err := time.Parse(time.RFC3339Nano, c.CreatedAt)
	require.NoError(t, err)
	assert.True(t, created.Equal(t0), "createdAt on the server clock")

	// Still PENDING on read; the unit is not listed yet.
	g := h.get(t, admin, r.Header.Get("Location"))
	require.Equal(t, http.StatusOK, g.Status)
	assert.Equal(t, "PENDING", decodeAs[creation](t, g).Status)
	assert.NotContains(t, g.JSON(), "msn")
	before := allTestUnits(t, h, admin, "")

	clock.Advance(time.Minute)
	msn, err := h.s.CompleteCreation(c.CreationID)
	require.NoError(t, err)
	assert.Regexp(t, sixDigit, msn, "a new MSN is 6 digits")

	g = h.get(t, admin, creationPath(c.CreationID))
	done := decodeAs[creation](t, g)
	assert.Equal(t, "COMPLETED", done.Status)
	if assert.NotNil(t, done.MSN) {
		assert.Equal(t, msn, *done.MSN)
	}
	if assert.NotNil(t, done.CompletedAt) {
		at, err := time.Parse(time.RFC3339Nano, *done.CompletedAt)
		require.NoError(t, err)
		assert.True(t, at.Equal(t0.Add(time.Minute)), "completedAt on the server clock")
	}
	assert.NotContains(t, g.JSON(), "failure")

	u := h.get(t, admin, testUnitPath(msn))
	require.Equal(t, http.StatusOK, u.Status, "%s", u.Raw)
	unit := decodeAs[testUnit](t, u)
	assert.Equal(t, "Lifecycle", unit.Name)
	assert.Equal(t, "free text ✓", unit.Partner)
	assert.Equal(t, bid{portaltest.DefaultMerchantScheme, portaltest.DefaultMerchantID}, unit.BusinessIdentifier)
	assert.False(t, unit.KeysReady, "keys not issued yet")
	after := allTestUnits(t, h, admin, "")
	assert.Equal(t, append(before, msn), after, "the completed unit is listed, at the end")

	k := h.get(t, admin, keysPath(msn))
	assertProblem(t, k, 409, "keys-not-ready")
	assertRetryAfter(t, k)
	rg := h.post(t, admin, regenPath(msn), "", map[string]string{"key": "clientSecret"})
	assertProblem(t, rg, 409, "keys-not-ready")
	assertRetryAfter(t, rg)

	require.NoError(t, h.s.IssueKeys(msn))
	assert.True(t, decodeAs[testUnit](t, h.get(t, admin, testUnitPath(msn))).KeysReady)
	k = h.get(t, admin, keysPath(msn))
	require.Equal(t, http.StatusOK, k.Status, "%s", k.Raw)
	ks := decodeAs[keySet](t, k)
	assert.Equal(t, msn, ks.MSN)
	assert.Equal(t, "test", ks.Environment)
	assertKeyFormats(t, ks)

	// The unit's keys act as that unit: a token, and not a portal user.
	uc := h.as(t, h.s.UnitCredentials(msn))
	assertProblem(t, h.get(t, uc, pathMe), 403, "not-a-portal-user")
}

func assertRetryAfter(t testing.TB, r *response) {
	t.Helper()
	ra := r.Header.Get("Retry-After")
	if !assert.NotEmpty(t, ra, "Retry-After") {
		return
	}
	if _, err := fmt.Sscanf(ra, "%d", new(int)); err != nil {
		_, err := http.ParseTime(ra)
		assert.NoError(t, err, "Retry-After %q is neither delta-seconds nor an HTTP-date", ra)
	}
}

var (
	hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)
)

func assertKeyFormats(t testing.TB, ks keySet) {
	t.Helper()
	assert.Regexp(t, uuidRE, ks.ClientID, "clientId is a GUID")
	assert.NotEmpty(t, ks.ClientSecret)
	assert.Regexp(t, hex32, ks.SubscriptionKeyPrimary)
	assert.Regexp(t, hex32, ks.SubscriptionKeySecondary)
	assert.NotEqual(t, ks.SubscriptionKeyPrimary, ks.SubscriptionKeySecondary)
}

// allTestUnits pages through listTestSalesUnits and returns the MSNs in order.
func allTestUnits(t testing.TB, h *harness, as caller, query string) []string {
	t.Helper()
	var out []string
	token := ""
	for i := 0; ; i++ {
		require.Less(t, i, 1000, "paging does not end")
		p := pathTestUnits + "?pageSize=7" + query
		if token != "" {
			p += "&pageToken=" + token
		}
		r := h.get(t, as, p)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
		pg := decodeAs[page[testUnit]](t, r)
		for _, u := range pg.Items {
			out = append(out, u.MSN)
		}
		if pg.NextPageToken == nil {
			return out
		}
		require.NotEmpty(t, pg.Items, "only the last page may be empty")
		token = *pg.NextPageToken
	}
}

// "failure (a Problem of type provisioning-failed) if and only if FAILED".
func TestConformanceTestUnitFailedCreation(t *testing.T) {
	h := newHarness(t, portaltest.WithManualProvisioning())
	admin := h.admin(t)
	units := allTestUnits(t, h, admin, "")
	h.s.FailNextCreation("simulated provisioning failure")
	c := h.createUnit(t, admin, unitRequest{Name: "Doomed"})
	assert.Equal(t, "PENDING", c.Status)
	_, err := h.s.CompleteCreation(c.CreationID)
	require.ErrorContains(t, err, "simulated provisioning failure", "the armed creation ends FAILED")

	r := h.get(t, admin, creationPath(c.CreationID))
	require.Equal(t, http.StatusOK, r.Status)
	f := decodeAs[creation](t, r)
	assert.Equal(t, "FAILED", f.Status)
	raw := r.JSON()
	assert.NotContains(t, raw, "msn", "no msn when FAILED")
	assert.NotContains(t, raw, "completedAt", "no completedAt when FAILED")
	if assert.NotNil(t, f.Failure, "failure present when FAILED") {
		assert.Equal(t, problemPrefix+"provisioning-failed", f.Failure.Type)
		assert.NotNil(t, f.Failure.Detail)
		assert.NotNil(t, f.Failure.Instance)
	}
	assert.Equal(t, units, allTestUnits(t, h, admin, ""), "a failed creation lists no unit")

	// Only the next creation fails.
	ok := h.createUnit(t, admin, unitRequest{Name: "Fine"})
	msn, err := h.s.CompleteCreation(ok.CreationID)
	require.NoError(t, err)
	assert.NotEmpty(t, msn)

	failed := h.get(t, admin, pathCreations+"?status=FAILED")
	require.Equal(t, http.StatusOK, failed.Status)
	fp := decodeAs[page[creation]](t, failed)
	if assert.Len(t, fp.Items, 1) {
		assert.Equal(t, c.CreationID, fp.Items[0].CreationID)
	}
}

// "The options become the configuration ... the three options are always echoed,
// and a creation's request is echoed with them filled in."
func TestConformanceTestUnitOptionsToConfiguration(t *testing.T) {
	h := newHarness(t)
	admin := h.admin(t)
	type combo struct {
		opts                    *unitOptions
		skip, recurring, direct bool
	}
	var combos []combo
	for i := 0; i < 8; i++ {
		s, r, d := i&1 != 0, i&2 != 0, i&4 != 0
		combos = append(combos, combo{&unitOptions{SkipLandingPage: boolp(s), Recurring: boolp(r), DirectCapture: boolp(d)}, s, r, d})
	}
	combos = append(combos,
		combo{nil, false, false, false},                                 // options absent
		combo{&unitOptions{}, false, false, false},                      // options empty
		combo{&unitOptions{Recurring: boolp(true)}, false, true, false}, // one given
	)
	for i, cb := range combos {
		t.Run(fmt.Sprintf("skip=%v,recurring=%v,direct=%v/%d", cb.skip, cb.recurring, cb.direct, i), func(t *testing.T) {
			r := h.post(t, admin, pathTestUnits, "", unitRequest{Name: fmt.Sprintf("Combo %d", i), Options: cb.opts})
			require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Raw)
			c := decodeAs[creation](t, r)
			wantOpts := map[string]any{"skipLandingPage": cb.skip, "recurring": cb.recurring, "directCapture": cb.direct}
			req, _ := r.JSON()["request"].(map[string]any)
			assert.Equal(t, wantOpts, req["options"], "the creation's request is echoed with the options filled in")

			msn := h.complete(t, admin, c.CreationID)
			g := h.get(t, admin, creationPath(c.CreationID))
			req, _ = g.JSON()["request"].(map[string]any)
			assert.Equal(t, wantOpts, req["options"], "also when read back")

			u := h.get(t, admin, testUnitPath(msn))
			require.Equal(t, http.StatusOK, u.Status)
			assert.Equal(t, wantOpts, u.JSON()["options"], "the three options are always echoed")
			cfg := decodeAs[testUnit](t, u).Configuration
			if assert.NotNil(t, cfg.PaymentAllowed) {
				assert.True(t, *cfg.PaymentAllowed, "paymentAllowed: true")
			}
			want := "ReserveCapture"
			if cb.direct {
				want = "DirectCapture"
			}
			if assert.NotNil(t, cfg.CaptureType) {
				assert.Equal(t, want, *cfg.CaptureType)
			}
			if assert.NotNil(t, cfg.SkipLandingPageAllowed) {
				assert.Equal(t, cb.skip, *cfg.SkipLandingPageAllowed)
			}
			if assert.NotNil(t, cfg.RecurringAllowed) {
				assert.Equal(t, cb.recurring, *cfg.RecurringAllowed)
			}
		})
	}

	// The seeded test unit: options {skipLandingPage: true}.
	u := h.get(t, admin, testUnitPath(portaltest.TestMSN))
	require.Equal(t, http.StatusOK, u.Status)
	assert.Equal(t, map[string]any{"skipLandingPage": true, "recurring": false, "directCapture": false}, u.JSON()["options"])
	cfg := decodeAs[testUnit](t, u).Configuration
	if assert.NotNil(t, cfg.SkipLandingPageAllowed) && assert.NotNil(t, cfg.CaptureType) {
		assert.True(t, *cfg.SkipLandingPageAllowed)
		assert.Equal(t, "ReserveCapture", *cfg.CaptureType)
	}
}

// "The creator of a test unit is granted DEVELOPER on it."
func TestConformanceTestUnitCreatorGetsDeveloper(t *testing.T) {
	h := newHarness(t)
	admin, dev := h.admin(t), h.dev(t)
	msn := h.newUnit(t, dev, "Dev's own")

	u := decodeAs[user](t, h.get(t, admin, userPath(portaltest.DeveloperUserID)))
	var perms []string
	for _, a := range u.SalesUnits {
		if a.MSN == msn {
			perms = a.Permissions
		}
	}
	assert.Equal(t, []string{"DEVELOPER"}, perms, "the creator holds DEVELOPER on the new unit")
	assert.Equal(t, http.StatusOK, h.get(t, dev, keysPath(msn)).Status, "so it sees the keys")
	assertProblem(t, h.get(t, h.assistant(t), keysPath(msn)), 403, "keys-hidden", "others do not")

	// A user holding DEVELOPER on no unit of the merchant gets 403 forbidden.
	assertProblem(t, h.post(t, h.assistant(t), pathTestUnits, "", unitRequest{Name: "No"}), 403, "forbidden")
}

// "A test unit cannot be changed (405 test-sales-unit-immutable)."
func TestConformanceTestUnitImmutable(t *testing.T) {
	h := newHarness(t)
	admin, dev := h.admin(t), h.dev(t)
	state := h.s.State()
	for _, as := range []caller{admin, dev} {
		r := h.do(t, as, http.MethodPatch, testUnitPath(portaltest.TestMSN), nil, nil)
		assertProblem(t, r, 405, "test-sales-unit-immutable")
		r = h.send(t, call{Method: http.MethodPatch, Path: testUnitPath(portaltest.TestMSN), As: &as, Body: `{"name":"Renamed"}`, Invalid: true})
		assertProblem(t, r, 405, "test-sales-unit-immutable", "with a body too")
	}
	assert.Equal(t, state, h.s.State())
	assert.Equal(t, "ACME Test", decodeAs[testUnit](t, h.get(t, admin, testUnitPath(portaltest.TestMSN))).Name)
}

// "Names (of test units and of users) with leading or trailing space, or with a
// control character, are a 400." "Lengths count Unicode code points." "Space"
// means Unicode white space.
func TestConformanceNames(t *testing.T) {
	h := newHarness(t, portaltest.WithManualProvisioning())
	admin := h.admin(t)
	bad := []string{
		"", " lead", "trail ", "\tTab", "tab\t", "new\nline", "nul\x00", "del\x7f", "bell\a",
		"\u00a0nbsp", "nbsp\u00a0", "\u2003em", "em\u2003", "\u3000ideographic", "c1\u0085",
	}
	state := h.s.State()
	for i, name := range bad {
		r := h.send(t, call{Method: http.MethodPost, Path: pathTestUnits, As: &admin, IdemKey: newKey(), Body: unitRequest{Name: name}, Invalid: true})
		assertProblem(t, r, 400, "invalid-request", "test unit name %q", name)
		r = h.send(t, call{Method: http.MethodPost, Path: pathUsers, As: &admin, IdemKey: newKey(), Invalid: true,
			Body: map[string]string{"phoneNumber": fmt.Sprintf("+47955500%02d", i), "name": name, "role": "ASSISTANT"}})
		assertProblem(t, r, 400, "invalid-request", "user name %q", name)
	}
	r := h.send(t, call{Method: http.MethodPost, Path: pathTestUnits, As: &admin, IdemKey: newKey(), Body: unitRequest{Name: strings.Repeat("a", 51)}, Invalid: true})
	assertProblem(t, r, 400, "invalid-request", "a test unit name of 51 code points")
	r = h.send(t, call{Method: http.MethodPost, Path: pathUsers, As: &admin, IdemKey: newKey(), Invalid: true,
		Body: map[string]string{"phoneNumber": "+4795550198", "name": strings.Repeat("a", 101), "role": "ASSISTANT"}})
	assertProblem(t, r, 400, "invalid-request", "a user name of 101 code points")
	assert.Equal(t, state, h.s.State(), "refused names change nothing")

	for _, name := range []string{strings.Repeat("æ", 50), "Inner  spaces ok", "Ünïcödé ✓", "x"} {
		r := h.post(t, admin, pathTestUnits, "", unitRequest{Name: name})
		assert.Equal(t, http.StatusAccepted, r.Status, "name %q (%d code points) is valid: %s", name, len([]rune(name)), r.Raw)
		if r.Status == http.StatusAccepted {
			assert.Equal(t, name, decodeAs[creation](t, r).Request.Name, "echoed exactly")
		}
	}
	r = h.post(t, admin, pathUsers, "", map[string]string{"phoneNumber": "+4795550199", "name": strings.Repeat("ø", 100), "role": "ASSISTANT"})
	assert.Equal(t, http.StatusCreated, r.Status, "a 100-code-point user name is valid: %s", r.Raw)
}

// Test unit request validation: additionalProperties false, partner max 50.
func TestConformanceTestUnitRequestValidation(t *testing.T) {
	h := newHarness(t, portaltest.WithManualProvisioning())
	admin := h.admin(t)
	state := h.s.State()
	for _, body := range []string{
		`{"name":"x","extra":1}`,
		`{"name":"x","partner":"` + strings.Repeat("p", 51) + `"}`,
		`{"name":"x","options":{"recurring":"yes"}}`,
		`{"name":42}`,
		`{}`,
		`[]`,
		``,
		`{"name":"x"`,
	} {
		r := h.send(t, call{Method: http.MethodPost, Path: pathTestUnits, As: &admin, IdemKey: newKey(), Body: body, Invalid: true})
		assertProblem(t, r, 400, "invalid-request", "body %q", body)
	}
	assert.Equal(t, state, h.s.State())
	r := h.post(t, admin, pathTestUnits, "", unitRequest{Name: "x", Partner: strings.Repeat("p", 50)})
	assert.Equal(t, http.StatusAccepted, r.Status, "partner of 50 code points: %s", r.Raw)
}

// Default provisioning (no delay): "the 202 says PENDING, the next read says COMPLETED".
func TestConformanceTestUnitDefaultProvisioning(t *testing.T) {
	h := newHarness(t)
	admin := h.admin(t)
	c := h.createUnit(t, admin, unitRequest{Name: "Quick"})
	assert.Equal(t, "PENDING", c.Status)
	g := decodeAs[creation](t, h.get(t, admin, creationPath(c.CreationID)))
	assert.Equal(t, "COMPLETED", g.Status)
	if assert.NotNil(t, g.MSN) {
		u := h.get(t, admin, testUnitPath(*g.MSN))
		require.Equal(t, http.StatusOK, u.Status)
		assert.True(t, decodeAs[testUnit](t, u).KeysReady, "keys delay 0: ready at completion")
		assert.Equal(t, http.StatusOK, h.get(t, admin, keysPath(*g.MSN)).Status)
	}
}

// Provisioning delays run on the server clock.
func TestConformanceTestUnitDelaysOnServerClock(t *testing.T) {
	clock := portaltest.NewManualClock(t0)
	h := newHarness(t, portaltest.WithClock(clock.Now), portaltest.WithProvisioningDelay(30*time.Second), portaltest.WithKeysDelay(10*time.Second))
	admin := h.admin(t)
	c := h.createUnit(t, admin, unitRequest{Name: "Timed"})
	clock.Advance(29 * time.Second)
	assert.Equal(t, "PENDING", decodeAs[creation](t, h.get(t, admin, creationPath(c.CreationID))).Status)
	clock.Advance(time.Second)
	done := decodeAs[creation](t, h.get(t, admin, creationPath(c.CreationID)))
	require.Equal(t, "COMPLETED", done.Status)
	require.NotNil(t, done.MSN)
	msn := *done.MSN
	assertProblem(t, h.get(t, admin, keysPath(msn)), 409, "keys-not-ready")
	clock.Advance(10 * time.Second)
	assert.Equal(t, http.StatusOK, h.get(t, admin, keysPath(msn)).Status)
	assert.True(t, decodeAs[testUnit](t, h.get(t, admin, testUnitPath(msn))).KeysReady)
}

// "Any portal user of the merchant may read its creation records"; another
// merchant's record is a 404.
func TestConformanceCreationRecordsVisibility(t *testing.T) {
	h := newHarness(t, portaltest.WithManualProvisioning())
	admin := h.admin(t)
	c := h.createUnit(t, admin, unitRequest{Name: "Shared record"})
	for _, as := range []caller{h.dev(t), h.assistant(t)} {
		r := h.get(t, as, creationPath(c.CreationID))
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
		assert.Equal(t, c.CreationID, decodeAs[creation](t, r).CreationID)
	}
	other := h.as(t, h.s.UserCredentials(portaltest.OtherAdminUserID))
	assertProblem(t, h.get(t, other, creationPath(c.CreationID)), 404, "not-found")
	assertProblem(t, h.get(t, admin, creationPath("6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b")), 404, "not-found")
	assertProblem(t, h.send(t, call{Method: http.MethodGet, Path: creationPath("not-a-uuid"), As: &admin, Invalid: true}), 400, "invalid-request")
	assertProblem(t, h.get(t, admin, testUnitPath(portaltest.ProductionMSN)), 404, "not-found", "a production unit is no test unit")
	assertProblem(t, h.do(t, admin, http.MethodPatch, testUnitPath(portaltest.ProductionMSN), nil, nil), 404, "not-found", "nor can it be patched as one")
	// Another merchant lists its own records and units, none of ours.
	own := h.createUnit(t, other, unitRequest{Name: "Other's unit"})
	ownMSN, err := h.s.CompleteCreation(own.CreationID)
	require.NoError(t, err)
	var creations, units []string
	for _, it := range decodeAs[page[creation]](t, h.get(t, other, pathCreations)).Items {
		creations = append(creations, it.CreationID)
	}
	for _, u := range decodeAs[page[testUnit]](t, h.get(t, other, pathTestUnits)).Items {
		units = append(units, u.MSN)
	}
	assert.Equal(t, []string{own.CreationID}, creations, "another merchant lists its own creation, none of ours")
	assert.Equal(t, []string{ownMSN}, units, "another merchant lists its own test unit, none of ours")
	assertProblem(t, h.get(t, other, testUnitPath(portaltest.TestMSN)), 404, "not-found")
}
