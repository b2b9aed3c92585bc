package salesunit_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/salesunit"
	"github.com/vippsportal/sdk/vipps"
)

func TestSalesUnitsList(t *testing.T) {
	m := newMockAPI(t)
	calls := m.expect(http.MethodGet, "/management/v1/sales-units", want{}, http.StatusOK, mgmtJSON,
		`[{"msn":"123456","name":"ACME Web"},{"msn":"123457","name":"ACME POS"}]`)
	units, err := m.client.SalesUnits.List(t.Context())
	require.NoError(t, err)
	assert.Equal(t, []salesunit.MSNInfo{{MSN: "123456", Name: "ACME Web"}, {MSN: "123457", Name: "ACME POS"}}, units)
	assert.Equal(t, 1, calls())
}

// Vipps' API guide shows msn as a JSON number in sales unit lists: both forms
// decode, in the list, in one unit and in a product order's unit.
func TestSalesUnitsNumericMSN(t *testing.T) {
	m := newMockAPI(t)
	m.expect(http.MethodGet, "/management/v1/sales-units", want{}, http.StatusOK, mgmtJSON,
		`[{"msn":123456,"name":"ACME Web"},{"msn":"123457","name":"ACME POS"}]`)
	units, err := m.client.SalesUnits.List(t.Context())
	require.NoError(t, err)
	assert.Equal(t, []salesunit.MSNInfo{{MSN: "123456", Name: "ACME Web"}, {MSN: "123457", Name: "ACME POS"}}, units)

	m.expect(http.MethodGet, "/management/v1/sales-units/123456", want{}, http.StatusOK, mgmtJSON,
		`{"msn":123456,"name":"ACME Web","businessIdentifier":{"scheme":"business:NO:ORG","id":"987654325"},"configuration":{}}`)
	u, err := m.client.SalesUnits.Get(t.Context(), "123456")
	require.NoError(t, err)
	assert.Equal(t, "123456", u.MSN)
	assert.Equal(t, "ACME Web", u.Name)

	m.expect(http.MethodGet, "/management/v2/product-orders", want{}, http.StatusOK, mgmtJSON,
		`[{"productOrderId":"`+orderID+`","status":"COMPLETED","businessIdentifier":{"scheme":"business:NO:ORG","id":"987654325"},"salesUnit":{"msn":345678,"name":"ACME Shop"}}]`)
	orders, err := m.client.ProductOrders.List(t.Context())
	require.NoError(t, err)
	require.Len(t, orders, 1)
	assert.Equal(t, &salesunit.MSNInfo{MSN: "345678", Name: "ACME Shop"}, orders[0].SalesUnit)
}

func TestSalesUnitsGet(t *testing.T) {
	m := newMockAPI(t)
	m.expect(http.MethodGet, "/management/v1/sales-units/123456", want{}, http.StatusOK, mgmtJSON,
		`{"msn":"123456","name":"ACME Web","businessIdentifier":{"scheme":"business:NO:ORG","id":"987654325"},
		  "configuration":{"captureType":"ReserveCapture","recurringAllowed":true,"skipLandingPageAllowed":false}}`)
	u, err := m.client.SalesUnits.Get(t.Context(), "123456")
	require.NoError(t, err)
	assert.Equal(t, "ACME Web", u.Name)
	assert.Equal(t, vipps.BusinessIdentifier{Scheme: "business:NO:ORG", ID: "987654325"}, u.BusinessIdentifier)
	assert.Equal(t, salesunit.CaptureReserve, u.Configuration.CaptureType)
	require.NotNil(t, u.Configuration.RecurringAllowed)
	assert.True(t, *u.Configuration.RecurringAllowed)
	require.NotNil(t, u.Configuration.SkipLandingPageAllowed, "a false that was sent is kept")
	assert.False(t, *u.Configuration.SkipLandingPageAllowed)
	assert.Nil(t, u.Configuration.PaymentAllowed, "absent is not false")
}

func TestSalesUnitsGetNotFound(t *testing.T) {
	m := newMockAPI(t)
	m.mock.RegisterResponder(http.MethodGet, base+"/management/v1/sales-units/999999", func(r *http.Request) (*http.Response, error) {
		return problemResponder(http.StatusNotFound, "not-found", "Content-Type", mgmtJSON)(r)
	})
	_, err := m.client.SalesUnits.Get(t.Context(), "999999")
	apiErr := requireAPIError(t, err, http.StatusNotFound, vipps.ProblemNotFound, vipps.ErrNotFound)
	assert.Equal(t, "/management/v1/sales-units/999999", apiErr.Path)
	assert.Equal(t, http.MethodGet, apiErr.Method)
}

func TestSalesUnitsValidation(t *testing.T) {
	m := newMockAPI(t)
	for _, msn := range []string{"", "123", "12345678901", "12a456", " 123456", "１２３４５６"} {
		_, err := m.client.SalesUnits.Get(t.Context(), msn)
		requireInvalid(t, err, "msn")
	}
	assert.Zero(t, m.mock.GetTotalCallCount(), "nothing is sent for bad input")
}

// On vipps.Test, where Vipps runs no Management API, every Management call
// is refused before any request, the token request included.
func TestManagementRefusedOnTestEnvironment(t *testing.T) {
	m := newMockAPI(t) // for its transport: the client below has no custom base URL, which would permit every group
	c, err := portal.New(portal.WithCredentials(vipps.Credentials{ClientID: "c", ClientSecret: "s", SubscriptionKey: "k"}),
		portal.WithEnvironment(vipps.Test), portal.WithHTTPClient(&http.Client{Transport: m.mock}))
	require.NoError(t, err)
	ctx := t.Context()
	bid := vipps.BusinessIdentifier{Scheme: "business:NO:ORG", ID: "987654325"}
	const id = "8a11afb7-c223-48ed-8ca6-4722b97261aa"
	calls := map[string]func() error{
		"SalesUnits.List": func() error { _, err := c.SalesUnits.List(ctx); return err },
		"SalesUnits.Get":  func() error { _, err := c.SalesUnits.Get(ctx, "123456"); return err },
		"Merchants.Get":   func() error { _, err := c.Merchants.Get(ctx, bid); return err },
		"Merchants.SalesUnits": func() error {
			_, err := c.Merchants.SalesUnits(ctx, bid)
			return err
		},
		"ProductOrders.Prefill": func() error {
			_, err := c.ProductOrders.Prefill(ctx, salesunit.ProductOrderRequest{BusinessIdentifier: bid, ProductType: salesunit.ProductCheckout})
			return err
		},
		"ProductOrders.Get":    func() error { _, err := c.ProductOrders.Get(ctx, id); return err },
		"ProductOrders.List":   func() error { _, err := c.ProductOrders.List(ctx); return err },
		"ProductOrders.Delete": func() error { return c.ProductOrders.Delete(ctx, id) },
		"ProductOrders.PricePackages": func() error {
			_, err := c.ProductOrders.PricePackages(ctx)
			return err
		},
		"ProductOrders.WaitUntilCompleted": func() error {
			_, err := c.ProductOrders.WaitUntilCompleted(ctx, id, nil)
			return err
		},
	}
	for name, call := range calls {
		err := call()
		var ue *vipps.UnsupportedError
		require.ErrorAs(t, err, &ue, name)
		assert.ErrorIs(t, err, vipps.ErrUnsupported, name)
		assert.Contains(t, ue.Reason, "production-only", name)
	}
	assert.Zero(t, m.mock.GetTotalCallCount(), "no request at all, not even for a token")
}

func TestSalesUnitsAgainstSimulator(t *testing.T) {
	s := newSim(t)
	ctx := t.Context()
	admin := s.AdminClient(fastRetry)

	units, err := admin.SalesUnits.List(ctx)
	require.NoError(t, err)
	msns := make([]string, len(units))
	for i, u := range units {
		msns[i] = u.MSN
	}
	assert.ElementsMatch(t, []string{portaltest.ProductionMSN, portaltest.SecondProductionMSN}, msns, "production units only, no test unit")

	u, err := admin.SalesUnits.Get(ctx, portaltest.ProductionMSN)
	require.NoError(t, err)
	assert.Equal(t, portaltest.DefaultMerchantID, u.BusinessIdentifier.ID)
	assert.Equal(t, salesunit.CaptureReserve, u.Configuration.CaptureType)
	require.NotNil(t, u.Configuration.RecurringAllowed)
	assert.True(t, *u.Configuration.RecurringAllowed)

	// A test unit is not a Management API unit; another merchant's is unreachable.
	_, err = admin.SalesUnits.Get(ctx, portaltest.TestMSN)
	requireAPIError(t, err, http.StatusNotFound, vipps.ProblemNotFound, vipps.ErrNotFound)
	_, err = admin.SalesUnits.Get(ctx, portaltest.OtherMSN)
	requireAPIError(t, err, http.StatusNotFound, vipps.ProblemNotFound, vipps.ErrNotFound)

	// Tokens from a test unit's own keys are refused on it.
	unit := simClient(t, s, s.UnitCredentials(portaltest.TestMSN))
	_, err = unit.SalesUnits.Get(ctx, portaltest.TestMSN)
	require.Error(t, err)
	assert.True(t, isStatus(err, http.StatusForbidden) || isStatus(err, http.StatusNotFound), "got %v", err)

	// The wire: method, path, headers.
	reqs := s.RequestsOf("getMsn")
	require.NotEmpty(t, reqs)
	r := reqs[0]
	assert.Equal(t, http.MethodGet, r.Method)
	assert.Equal(t, "/management/v1/sales-units/"+portaltest.ProductionMSN, r.Path)
	assert.Equal(t, "REDACTED", r.Header.Get("Authorization"))
	assert.Equal(t, "vippsportal-sdk-go/"+vipps.Version, r.Header.Get("User-Agent"))
	assert.Equal(t, http.StatusOK, r.Status)

	// The partner reaches the units connected to it.
	partner := simClient(t, s, s.PartnerCredentials(portaltest.PartnerID))
	units, err = partner.SalesUnits.List(ctx)
	require.NoError(t, err)
	msns = msns[:0]
	for _, u := range units {
		msns = append(msns, u.MSN)
	}
	assert.ElementsMatch(t, []string{portaltest.ProductionMSN, portaltest.OtherMSN}, msns)
}

func isStatus(err error, status int) bool {
	var apiErr *vipps.Error
	return asError(err, &apiErr) && apiErr.StatusCode == status
}

// A Management Get of a test unit's MSN is a 404 whose text points at
// TestUnits.Get; the *vipps.Error and its status are still there.
func TestGetOfATestUnitHintsAtTestUnits(t *testing.T) {
	s := newSim(t)
	c := s.AdminClient(fastRetry)
	_, err := c.SalesUnits.Get(t.Context(), portaltest.TestMSN)
	requireAPIError(t, err, http.StatusNotFound, vipps.ProblemNotFound, vipps.ErrNotFound)
	assert.Contains(t, err.Error(), "if "+portaltest.TestMSN+" is a test sales unit, read it with TestUnits.Get")
	assert.Contains(t, err.Error(), "404", "the status stays in the text")

	// The unit is there: TestUnits.Get reads it.
	unit, err := c.TestUnits.Get(t.Context(), portaltest.TestMSN)
	require.NoError(t, err)
	assert.Equal(t, portaltest.TestMSN, unit.MSN)
}

// Every form of msn decodes alike, whether the service decodes the answer or
// a caller decodes a SalesUnit with encoding/json.
func TestSalesUnitMSNForms(t *testing.T) {
	for raw, wantMSN := range map[string]string{
		`"123456"`:                               "123456",
		`123456`:                                 "123456",
		`"\u0031\u0032\u0033\u0034\u0035\u0036"`: "123456",
		`"12\"34"`:                               `12"34`,
		`null`:                                   "",
		"\"12\xff\"":                             "12\uFFFD",
	} {
		body := `{"msn":` + raw + `,"name":"ACME Web"}`
		var u salesunit.SalesUnit
		require.NoError(t, json.Unmarshal([]byte(body), &u), raw)
		assert.Equal(t, wantMSN, u.MSN, "json.Unmarshal of %s", raw)
		assert.Equal(t, "ACME Web", u.Name)

		m := newMockAPI(t)
		m.expect(http.MethodGet, "/management/v1/sales-units/123456", want{}, http.StatusOK, mgmtJSON, body)
		got, err := m.client.SalesUnits.Get(t.Context(), "123456")
		require.NoError(t, err, raw)
		assert.Equal(t, wantMSN, got.MSN, "Get of %s", raw)
		assert.Equal(t, "ACME Web", got.Name)
	}
}
