package salesunit_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/salesunit"
	"github.com/vippsportal/sdk/vipps"
)

const creationID = "0f8c2a1e-3b4d-4c5e-8f60-718293a4b5c6"

const creationPending = `{"creationId":"` + creationID + `","status":"PENDING",
	"request":{"name":"Dev shop","options":{"skipLandingPage":true,"recurring":false,"directCapture":true}},
	"createdAt":"2026-01-02T03:04:05Z"}`

const unitJSON = `{"msn":"345678","name":"Dev shop","businessIdentifier":{"scheme":"business:NO:ORG","id":"987654325"},
	"options":{"skipLandingPage":true,"recurring":false,"directCapture":true},
	"configuration":{"paymentAllowed":true,"captureType":"DirectCapture","skipLandingPageAllowed":true,"recurringAllowed":false},
	"createdAt":"2026-01-02T03:04:05Z","completedAt":"2026-01-02T03:06:05Z","keysReady":false}`

func TestTestUnitsCreate(t *testing.T) {
	m := newMockAPI(t)
	calls := m.expect(http.MethodPost, "/portal/v1/test-sales-units", want{idempotent: true,
		body: `{"name":"Dev shop","partner":"shopify","options":{"skipLandingPage":true,"recurring":false,"directCapture":true}}`},
		http.StatusAccepted, portalJSON, creationPending, "Location", "/portal/v1/test-sales-units/creations/"+creationID)
	cr, err := m.client.TestUnits.Create(t.Context(), salesunit.TestUnitRequest{Name: "Dev shop", Partner: "shopify",
		Options: salesunit.TestUnitOptions{SkipLandingPage: true, DirectCapture: true}})
	require.NoError(t, err)
	assert.Equal(t, 1, calls())
	assert.Equal(t, creationID, cr.CreationID)
	assert.Equal(t, salesunit.CreationPending, cr.Status)
	assert.Equal(t, "Dev shop", cr.Request.Name)
	assert.True(t, cr.Request.Options.DirectCapture)
	assert.Empty(t, cr.MSN)
	assert.True(t, cr.CompletedAt.IsZero())
	assert.Nil(t, cr.Failure)
}

func TestTestUnitsCreateErrors(t *testing.T) {
	m := newMockAPI(t)
	for _, c := range []struct {
		status   int
		name     string
		sentinel error
	}{
		{http.StatusForbidden, "not-a-portal-user", vipps.ErrForbidden},
		{http.StatusForbidden, "forbidden", vipps.ErrForbidden},
		{http.StatusBadRequest, "invalid-request", vipps.ErrBadRequest},
		{http.StatusConflict, "idempotency-key-reused", vipps.ErrConflict},
	} {
		m.mock.RegisterResponder(http.MethodPost, base+"/portal/v1/test-sales-units", problemResponder(c.status, c.name))
		_, err := m.client.TestUnits.Create(t.Context(), salesunit.TestUnitRequest{Name: "Dev shop"})
		requireAPIError(t, err, c.status, c.name, c.sentinel)
	}
}

func TestTestUnitsGet(t *testing.T) {
	m := newMockAPI(t)
	m.expect(http.MethodGet, "/portal/v1/test-sales-units/345678", want{}, http.StatusOK, portalJSON, unitJSON)
	u, err := m.client.TestUnits.Get(t.Context(), "345678")
	require.NoError(t, err)
	assert.Equal(t, "Dev shop", u.Name)
	assert.Equal(t, salesunit.TestUnitOptions{SkipLandingPage: true, DirectCapture: true}, u.Options)
	assert.Equal(t, salesunit.CaptureDirect, u.Configuration.CaptureType)
	assert.False(t, u.KeysReady)
	assert.True(t, u.CompletedAt.After(u.CreatedAt))

	m.mock.RegisterResponder(http.MethodGet, base+"/portal/v1/test-sales-units/999999", problemResponder(http.StatusNotFound, "not-found"))
	_, err = m.client.TestUnits.Get(t.Context(), "999999")
	requireAPIError(t, err, http.StatusNotFound, vipps.ProblemNotFound, vipps.ErrNotFound)
}

func TestTestUnitsListAndAll(t *testing.T) {
	m := newMockAPI(t)
	unit := func(msn string) string { return strings.Replace(unitJSON, "345678", msn, 1) }
	m.expect(http.MethodGet, "/portal/v1/test-sales-units", want{query: "pageSize=2"}, http.StatusOK, portalJSON,
		`{"items":[`+unit("100001")+`,`+unit("100002")+`],"nextPageToken":"t1"}`)
	m.mock.RegisterResponderWithQuery(http.MethodGet, base+"/portal/v1/test-sales-units", "pageSize=2&pageToken=t1",
		jsonResponder(http.StatusOK, map[string]any{"items": []any{}, "nextPageToken": "t2"}))
	m.mock.RegisterResponderWithQuery(http.MethodGet, base+"/portal/v1/test-sales-units", "pageSize=2&pageToken=t2",
		stringResponder(`{"items":[`+unit("100003")+`]}`))
	ctx := t.Context()

	p, err := m.client.TestUnits.List(ctx, &vipps.ListOptions{PageSize: 2})
	require.NoError(t, err)
	require.Len(t, p.Items, 2)
	assert.Equal(t, "100002", p.Items[1].MSN)
	assert.Equal(t, "t1", p.NextPageToken)

	opts := &vipps.ListOptions{PageSize: 2}
	var msns []string
	for u, err := range m.client.TestUnits.All(ctx, opts) {
		require.NoError(t, err)
		msns = append(msns, u.MSN)
	}
	assert.Equal(t, []string{"100001", "100002", "100003"}, msns, "an empty page in the middle is walked past")
	assert.Equal(t, &vipps.ListOptions{PageSize: 2}, opts, "the caller's options are not changed")

	// An error ends the walk as its last pair.
	m.mock.RegisterResponderWithQuery(http.MethodGet, base+"/portal/v1/test-sales-units", "pageSize=2&pageToken=t2",
		problemResponder(http.StatusBadRequest, "invalid-page-token"))
	var n int
	var last error
	for _, err := range m.client.TestUnits.All(ctx, opts) {
		n++
		last = err
	}
	assert.Equal(t, 3, n)
	requireAPIError(t, last, http.StatusBadRequest, vipps.ProblemInvalidPageToken, vipps.ErrBadRequest)
}

func TestTestUnitsCreations(t *testing.T) {
	m := newMockAPI(t)
	m.expect(http.MethodGet, "/portal/v1/test-sales-units/creations/"+creationID, want{}, http.StatusOK, portalJSON, creationPending)
	m.expect(http.MethodGet, "/portal/v1/test-sales-units/creations", want{query: "pageSize=5&pageToken=abc&status=FAILED"}, http.StatusOK, portalJSON,
		`{"items":[{"creationId":"`+creationID+`","status":"FAILED","request":{"name":"Dev shop","options":{"skipLandingPage":false,"recurring":false,"directCapture":false}},
		  "createdAt":"2026-01-02T03:04:05Z","failure":{"type":"https://portal-sdk.invalid/problems/provisioning-failed","title":"Provisioning failed","status":500,"detail":"no capacity","instance":"/x"}}]}`)
	ctx := t.Context()
	cr, err := m.client.TestUnits.Creation(ctx, creationID)
	require.NoError(t, err)
	assert.Equal(t, salesunit.CreationPending, cr.Status)

	p, err := m.client.TestUnits.Creations(ctx, &salesunit.CreationListOptions{ListOptions: vipps.ListOptions{PageSize: 5, PageToken: "abc"}, Status: salesunit.CreationFailed})
	require.NoError(t, err)
	require.Len(t, p.Items, 1)
	require.NotNil(t, p.Items[0].Failure)
	assert.Equal(t, "provisioning-failed", p.Items[0].Failure.Name())
	assert.Equal(t, "no capacity", p.Items[0].Failure.Detail)
	assert.Empty(t, p.NextPageToken)

	// No status: no filter; nil options: no paging parameters.
	m.expect(http.MethodGet, "/portal/v1/test-sales-units/creations", want{}, http.StatusOK, portalJSON, `{"items":[]}`)
	p, err = m.client.TestUnits.Creations(ctx, nil)
	require.NoError(t, err)
	assert.Empty(t, p.Items)
}

func TestTestUnitsValidation(t *testing.T) {
	m := newMockAPI(t)
	ctx := t.Context()
	names := map[string]string{
		"empty":    "",
		"too long": strings.Repeat("x", 51),
		"leading":  " Dev shop",
		"trailing": "Dev shop\u00a0",
		"control":  "Dev\x07shop",
		"newline":  "Dev\nshop",
	}
	for what, name := range names {
		_, err := m.client.TestUnits.Create(ctx, salesunit.TestUnitRequest{Name: name})
		requireInvalid(t, err, "TestUnitRequest.Name")
		assert.NotEmpty(t, err.Error(), what)
	}
	_, err := m.client.TestUnits.Create(ctx, salesunit.TestUnitRequest{Name: strings.Repeat("ø", 50), Partner: strings.Repeat("p", 51)})
	requireInvalid(t, err, "TestUnitRequest.Partner")

	for _, msn := range []string{"", "12", "12345678901", "abc123"} {
		_, err := m.client.TestUnits.Get(ctx, msn)
		requireInvalid(t, err, "msn")
	}
	for _, id := range []string{"", "123", "0f8c2a1e-3b4d-4c5e-8f60-718293a4b5cZ", "0f8c2a1e3b4d-4c5e-8f60-718293a4b5c6a"} {
		_, err := m.client.TestUnits.Creation(ctx, id)
		requireInvalid(t, err, "creationID")
		_, err = m.client.TestUnits.WaitUntilReady(ctx, id, nil)
		requireInvalid(t, err, "creationID")
	}
	_, err = m.client.TestUnits.WaitUntilReady(ctx, creationID, &salesunit.WaitOptions{Timeout: -time.Second})
	requireInvalid(t, err, "WaitOptions.Timeout")
	_, err = m.client.ProductOrders.WaitUntilCompleted(ctx, orderID, &salesunit.WaitOptions{MinDelay: -1})
	requireInvalid(t, err, "WaitOptions.MinDelay")
	_, err = m.client.TestUnits.Creations(ctx, &salesunit.CreationListOptions{Status: "DONE"})
	requireInvalid(t, err, "CreationListOptions.Status")
	_, err = m.client.TestUnits.Creations(ctx, &salesunit.CreationListOptions{Status: "pending"})
	requireInvalid(t, err, "CreationListOptions.Status")
	for _, size := range []int{-1, 101} {
		_, err = m.client.TestUnits.List(ctx, &vipps.ListOptions{PageSize: size})
		requireInvalid(t, err, "ListOptions.PageSize")
		_, err = m.client.TestUnits.Creations(ctx, &salesunit.CreationListOptions{ListOptions: vipps.ListOptions{PageSize: size}})
		requireInvalid(t, err, "ListOptions.PageSize")
		pairs := 0
		for _, err := range m.client.TestUnits.All(ctx, &vipps.ListOptions{PageSize: size}) {
			requireInvalid(t, err, "ListOptions.PageSize")
			pairs++
		}
		assert.Equal(t, 1, pairs, "All yields the refusal as its one pair")
	}
	assert.Zero(t, m.mock.GetTotalCallCount(), "nothing is sent for bad input")

	// The limits themselves pass: 50 code points, page sizes 0 and 100.
	m.mock.RegisterNoResponder(jsonResponder(http.StatusOK, map[string]any{"items": []any{}}))
	_, err = m.client.TestUnits.List(ctx, &vipps.ListOptions{PageSize: 100})
	require.NoError(t, err)
}

// A portal call without a portal URL is refused without a request.
func TestTestUnitsWithoutPortalURL(t *testing.T) {
	m := newMockAPI(t)
	c, err := portal.New(portal.WithCredentials(vipps.Credentials{ClientID: "c", ClientSecret: "s", SubscriptionKey: "k"}),
		portal.WithHTTPClient(&http.Client{Transport: m.mock}))
	require.NoError(t, err)
	_, err = c.TestUnits.Get(t.Context(), "223344")
	assert.ErrorIs(t, err, vipps.ErrUnsupported)
	assert.Zero(t, m.mock.GetTotalCallCount())
}

func TestTestUnitsAgainstSimulator(t *testing.T) {
	s := newSim(t, portaltest.WithManualProvisioning())
	ctx := t.Context()
	admin := s.AdminClient(fastRetry)

	cr, err := admin.TestUnits.Create(ctx, salesunit.TestUnitRequest{Name: "Dev shop",
		Options: salesunit.TestUnitOptions{SkipLandingPage: true, Recurring: true, DirectCapture: true}})
	require.NoError(t, err)
	assert.Equal(t, salesunit.CreationPending, cr.Status)
	assert.Equal(t, salesunit.TestUnitOptions{SkipLandingPage: true, Recurring: true, DirectCapture: true}, cr.Request.Options)
	post := s.RequestsOf("createTestSalesUnit")
	require.Len(t, post, 1)
	assert.Equal(t, http.MethodPost, post[0].Method)
	assert.Equal(t, "/portal/v1/test-sales-units", post[0].Path)
	assert.Equal(t, http.StatusAccepted, post[0].Status)
	assert.NotEmpty(t, post[0].IdempotencyKey)
	assert.Equal(t, "application/json", post[0].Header.Get("Content-Type"))

	// Still PENDING: listed among the pending creations, not among the units.
	pending, err := admin.TestUnits.Creations(ctx, &salesunit.CreationListOptions{Status: salesunit.CreationPending})
	require.NoError(t, err)
	require.Len(t, pending.Items, 1)
	assert.Equal(t, cr.CreationID, pending.Items[0].CreationID)

	msn, err := s.CompleteCreation(cr.CreationID)
	require.NoError(t, err)
	got, err := admin.TestUnits.Creation(ctx, cr.CreationID)
	require.NoError(t, err)
	assert.Equal(t, salesunit.CreationCompleted, got.Status)
	assert.Equal(t, msn, got.MSN)
	assert.False(t, got.CompletedAt.IsZero())

	u, err := admin.TestUnits.Get(ctx, msn)
	require.NoError(t, err)
	assert.Equal(t, "Dev shop", u.Name)
	assert.Equal(t, salesunit.CaptureDirect, u.Configuration.CaptureType)
	require.NotNil(t, u.Configuration.RecurringAllowed)
	assert.True(t, *u.Configuration.RecurringAllowed)
	require.NotNil(t, u.Configuration.PaymentAllowed)
	assert.True(t, *u.Configuration.PaymentAllowed)
	assert.False(t, u.KeysReady)

	var msns []string
	for u, err := range admin.TestUnits.All(ctx, &vipps.ListOptions{PageSize: 1}) {
		require.NoError(t, err)
		msns = append(msns, u.MSN)
	}
	assert.Equal(t, []string{portaltest.TestMSN, msn}, msns, "in order of completion, one per page")
	var all []string
	for c, err := range admin.TestUnits.AllCreations(ctx, &salesunit.CreationListOptions{ListOptions: vipps.ListOptions{PageSize: 1}}) {
		require.NoError(t, err)
		all = append(all, c.CreationID)
	}
	assert.Equal(t, []string{cr.CreationID}, all)

	// Errors mapped: unknown unit 404; a partner is not a portal user; an assistant may not create.
	_, err = admin.TestUnits.Get(ctx, "999999")
	requireAPIError(t, err, http.StatusNotFound, vipps.ProblemNotFound, vipps.ErrNotFound)
	_, err = admin.TestUnits.Creation(ctx, "00000000-0000-4000-8000-000000000000")
	requireAPIError(t, err, http.StatusNotFound, vipps.ProblemNotFound, vipps.ErrNotFound)
	partner := simClient(t, s, s.PartnerCredentials(portaltest.PartnerID))
	_, err = partner.TestUnits.Create(ctx, salesunit.TestUnitRequest{Name: "x"})
	requireAPIError(t, err, http.StatusForbidden, vipps.ProblemNotAPortalUser, vipps.ErrForbidden)
	assistant := simClient(t, s, s.UserCredentials(portaltest.AssistantUserID))
	_, err = assistant.TestUnits.Create(ctx, salesunit.TestUnitRequest{Name: "x"})
	requireAPIError(t, err, http.StatusForbidden, vipps.ProblemForbidden, vipps.ErrForbidden)
	_, err = admin.TestUnits.List(ctx, &vipps.ListOptions{PageToken: "forged"})
	requireAPIError(t, err, http.StatusBadRequest, vipps.ProblemInvalidPageToken, vipps.ErrBadRequest)
	assert.Equal(t, 1, s.Effects("createTestSalesUnit"))
}

// A create whose answer is lost after the unit was ordered is retried with
// the same Idempotency-Key: one unit is ordered, and the caller holds its record.
func TestTestUnitsCreateLostResponse(t *testing.T) {
	s := newSim(t, portaltest.WithManualProvisioning())
	admin := s.AdminClient(fastRetry)
	s.InjectFault(portaltest.Fault{Operation: "createTestSalesUnit", DropAfterWork: true})

	cr, err := admin.TestUnits.Create(t.Context(), salesunit.TestUnitRequest{Name: "Dev shop"})
	require.NoError(t, err)
	assert.Equal(t, 1, s.FaultsInjected())
	assert.Equal(t, 1, s.Effects("createTestSalesUnit"), "exactly one unit was ordered")
	assertReplayedRetry(t, s, "createTestSalesUnit", http.StatusAccepted)
	creations := s.State().Creations
	require.Len(t, creations, 1)
	assert.Equal(t, creations[0].CreationID, cr.CreationID)
}

// The contract refuses to change a test unit; the SDK offers no such call.
// A raw PATCH shows what the TestUnitsService documentation promises.
func TestTestUnitsAreImmutable(t *testing.T) {
	s := newSim(t)
	creds := s.UserCredentials(portaltest.AdminUserID)
	tok := tokenFor(t, s, creds)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPatch, s.URL+"/portal/v1/test-sales-units/"+portaltest.TestMSN, strings.NewReader(`{"name":"x"}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Ocp-Apim-Subscription-Key", creds.SubscriptionKey.Reveal())
	req.Header.Set("Content-Type", "application/json")
	req.Close = true
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	var p salesunit.Problem
	require.NoError(t, decodeJSON(resp.Body, &p))
	assert.Equal(t, vipps.ProblemTestSalesUnitImmutable, p.Name())
}
