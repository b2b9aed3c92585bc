package salesunit_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/salesunit"
	"github.com/vippsportal/sdk/vipps"
)

var acme = vipps.BusinessIdentifier{Scheme: "business:NO:ORG", ID: "987654325"}

func TestMerchantsGet(t *testing.T) {
	m := newMockAPI(t)
	m.expect(http.MethodGet, "/management/v1/merchants/business:NO:ORG/987654325", want{}, http.StatusOK, mgmtJSON,
		`{"businessIdentifier":{"scheme":"business:NO:ORG","id":"987654325"},"name":"ACME Fantastic Fitness",
		  "status":"ACTIVE","createdAt":"2025-01-02T03:04:05Z","updatedAt":"2025-02-03T04:05:06Z","countryCode":"NO",
		  "businessAddress":{"lines":["Storgata 1"],"postCode":"0155","city":"Oslo","countryCode":"NO"},"businessPostAddress":null}`)
	mer, err := m.client.Merchants.Get(t.Context(), acme)
	require.NoError(t, err)
	assert.Equal(t, "ACME Fantastic Fitness", mer.Name)
	assert.Equal(t, salesunit.MerchantActive, mer.Status)
	assert.Equal(t, time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), mer.CreatedAt.Time)
	assert.Equal(t, "2025-01-02T03:04:05Z", mer.CreatedAt.Raw)
	require.NotNil(t, mer.BusinessAddress)
	assert.Equal(t, []string{"Storgata 1"}, mer.BusinessAddress.Lines)
	assert.Equal(t, "Oslo", mer.BusinessAddress.City)
	assert.Nil(t, mer.BusinessPostAddress)
}

// A date Vipps sends that does not parse (its own example is 2023-31-12T...)
// leaves that field unset with its raw text, and the rest of the answer stands.
func TestMerchantsGetKeepsAnswerWithBadDate(t *testing.T) {
	m := newMockAPI(t)
	m.expect(http.MethodGet, "/management/v1/merchants/business:NO:ORG/987654325", want{}, http.StatusOK, mgmtJSON,
		`{"businessIdentifier":{"scheme":"business:NO:ORG","id":"987654325"},"name":"ACME Fantastic Fitness",
		  "status":"ACTIVE","createdAt":"2023-31-12T10:00:00Z","updatedAt":17,"countryCode":"NO"}`)
	mer, err := m.client.Merchants.Get(t.Context(), acme)
	require.NoError(t, err)
	assert.Equal(t, "ACME Fantastic Fitness", mer.Name)
	assert.Equal(t, "NO", mer.CountryCode)
	assert.False(t, mer.CreatedAt.Valid())
	assert.True(t, mer.CreatedAt.Time.IsZero())
	assert.Equal(t, "2023-31-12T10:00:00Z", mer.CreatedAt.Raw)
	assert.Equal(t, "2023-31-12T10:00:00Z", mer.CreatedAt.String())
	assert.Equal(t, "17", mer.UpdatedAt.Raw, "a number where a date belongs is kept too")

	// It round-trips: the raw text is written back.
	b, err := json.Marshal(mer)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"createdAt":"2023-31-12T10:00:00Z"`)
}

// Vipps' guide shows msn as a JSON number: a merchant's units decode either way.
func TestMerchantsSalesUnitsNumericMSN(t *testing.T) {
	m := newMockAPI(t)
	m.expect(http.MethodGet, "/management/v1/merchants/business:NO:ORG/987654325/sales-units", want{}, http.StatusOK, mgmtJSON,
		`[{"msn":123456,"name":"ACME Web"},{"msn":"123457","name":"ACME POS"}]`)
	units, err := m.client.Merchants.SalesUnits(t.Context(), acme)
	require.NoError(t, err)
	assert.Equal(t, []salesunit.MSNInfo{{MSN: "123456", Name: "ACME Web"}, {MSN: "123457", Name: "ACME POS"}}, units)

	m.expect(http.MethodGet, "/management/v1/merchants/business:NO:ORG/987654325/sales-units", want{}, http.StatusOK, mgmtJSON,
		`[{"msn":12.5,"name":"ACME Web"}]`)
	_, err = m.client.Merchants.SalesUnits(t.Context(), acme)
	require.Error(t, err, "a fraction is no msn")
}

func TestMerchantsSalesUnits(t *testing.T) {
	m := newMockAPI(t)
	m.expect(http.MethodGet, "/management/v1/merchants/business:NO:ORG/987654325/sales-units", want{}, http.StatusOK, mgmtJSON,
		`[{"msn":"123456","name":"ACME Web"}]`)
	units, err := m.client.Merchants.SalesUnits(t.Context(), acme)
	require.NoError(t, err)
	assert.Equal(t, []salesunit.MSNInfo{{MSN: "123456", Name: "ACME Web"}}, units)
}

func TestMerchantsValidation(t *testing.T) {
	m := newMockAPI(t)
	ctx := t.Context()
	cases := map[string]vipps.BusinessIdentifier{
		"BusinessIdentifier":        {},
		"BusinessIdentifier.Scheme": {ID: "987654325"},
		"BusinessIdentifier.ID":     {Scheme: "business:NO:ORG"},
	}
	for field, bid := range cases {
		_, err := m.client.Merchants.Get(ctx, bid)
		requireInvalid(t, err, field)
		_, err = m.client.Merchants.SalesUnits(ctx, bid)
		requireInvalid(t, err, field)
	}
	_, err := m.client.Merchants.Get(ctx, vipps.BusinessIdentifier{Scheme: "short", ID: "987654325"})
	requireInvalid(t, err, "BusinessIdentifier.Scheme")
	_, err = m.client.Merchants.Get(ctx, vipps.BusinessIdentifier{Scheme: "business:NO:ORG", ID: "98/7654325"})
	requireInvalid(t, err, "BusinessIdentifier.ID")
	assert.Zero(t, m.mock.GetTotalCallCount())
}

func TestMerchantsAgainstSimulator(t *testing.T) {
	s := newSim(t)
	ctx := t.Context()
	admin := s.AdminClient(fastRetry)

	mer, err := admin.Merchants.Get(ctx, acme)
	require.NoError(t, err)
	assert.Equal(t, acme, mer.BusinessIdentifier)
	assert.Equal(t, "NO", mer.CountryCode)
	units, err := admin.Merchants.SalesUnits(ctx, acme)
	require.NoError(t, err)
	assert.Len(t, units, 2)

	// Another merchant is a 404 for a user, reachable for the partner connected to one of its units.
	other := vipps.BusinessIdentifier{Scheme: portaltest.DefaultMerchantScheme, ID: portaltest.OtherMerchantID}
	_, err = admin.Merchants.Get(ctx, other)
	requireAPIError(t, err, http.StatusNotFound, vipps.ProblemNotFound, vipps.ErrNotFound)
	partner := simClient(t, s, s.PartnerCredentials(portaltest.PartnerID))
	mer, err = partner.Merchants.Get(ctx, other)
	require.NoError(t, err)
	assert.Equal(t, other, mer.BusinessIdentifier)
	units, err = partner.Merchants.SalesUnits(ctx, acme)
	require.NoError(t, err)
	assert.Equal(t, []salesunit.MSNInfo{{MSN: portaltest.ProductionMSN, Name: "ACME Web"}}, units, "only the units connected to the partner")

	r := s.RequestsOf("getSalesUnitsByBusinessIdentifier")
	require.NotEmpty(t, r)
	assert.Equal(t, "/management/v1/merchants/business:NO:ORG/987654325/sales-units", r[0].Path)
}
