package salesunit_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/internal/contracttest"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/salesunit"
	"github.com/vippsportal/sdk/vipps"
)

// Every request the salesunit services send is valid under the contract.
func TestRequestsMatchTheContract(t *testing.T) {
	s := newSim(t, portaltest.WithManualProvisioning())
	ct := contracttest.New(t)
	hc := portal.WithHTTPClient(ct.HTTPClient())
	admin := s.AdminClient(fastRetry, hc)
	partner := simClient(t, s, s.PartnerCredentials(portaltest.PartnerID), hc)
	ctx := t.Context()

	_, err := admin.SalesUnits.List(ctx)
	require.NoError(t, err)
	_, err = admin.SalesUnits.Get(ctx, portaltest.ProductionMSN)
	require.NoError(t, err)
	_, err = admin.Merchants.Get(ctx, acme)
	require.NoError(t, err)
	_, err = admin.Merchants.SalesUnits(ctx, acme)
	require.NoError(t, err)

	_, err = partner.ProductOrders.PricePackages(ctx)
	require.NoError(t, err)
	turnover, recurring := int64(250000), true
	o, err := partner.ProductOrders.Prefill(ctx, salesunit.ProductOrderRequest{
		BusinessIdentifier: acme, ProductType: salesunit.ProductPaymentIntegration,
		SalesUnitName: "ACME Shop", SalesUnitLogo: []byte("\x89PNG\r\n\x1a\n"),
		SettlementBankAccount: &salesunit.BankAccount{Scheme: "BBAN:NO", ID: "12345678903"},
		PricePackageID:        portaltest.PricePackageID, ProductUseCase: salesunit.UseCaseWebsiteWithTest,
		AnnualTurnover: &turnover, AnnualTurnoverPercentage: "100", IntendedPurpose: "Memberships",
		App: &salesunit.App{AppName: "ACME"},
		Website: &salesunit.Website{URL: "https://acme.example", TermsURL: "https://acme.example/terms",
			TestWebsiteURL: "https://test.acme.example", TestWebsiteUsername: "vipps", TestWebsitePassword: vipps.Secret("pw")},
		HasRecurring: &recurring, MerchantCategoryCode: "7997",
	})
	require.NoError(t, err)
	_, err = partner.ProductOrders.Get(ctx, o.ProductOrderID)
	require.NoError(t, err)
	_, err = partner.ProductOrders.List(ctx)
	require.NoError(t, err)
	require.NoError(t, partner.ProductOrders.Delete(ctx, o.ProductOrderID))

	cr, err := admin.TestUnits.Create(ctx, salesunit.TestUnitRequest{Name: "Dev shop", Partner: "shopify",
		Options: salesunit.TestUnitOptions{SkipLandingPage: true}})
	require.NoError(t, err)
	_, err = admin.TestUnits.Creation(ctx, cr.CreationID)
	require.NoError(t, err)
	_, err = admin.TestUnits.Creations(ctx, &salesunit.CreationListOptions{ListOptions: vipps.ListOptions{PageSize: 10}, Status: salesunit.CreationPending})
	require.NoError(t, err)
	s.CompleteAll()
	_, err = admin.TestUnits.Get(ctx, portaltest.TestMSN)
	require.NoError(t, err)
	walked := 0
	for _, err := range admin.TestUnits.All(ctx, &vipps.ListOptions{PageSize: 1}) {
		require.NoError(t, err)
		walked++
	}
	assert.Equal(t, 2, walked, "the seeded test unit and the one just completed")

	for _, op := range []string{"getAllSalesUnits", "getMsn", "getMerchantByBusinessIdentifier", "getSalesUnitsByBusinessIdentifier", "getPartnerPricePackages",
		"orderProduct", "getProductOrderDetails", "getProductOrders", "deleteProductOrder", "createTestSalesUnit",
		"getTestSalesUnitCreation", "listTestSalesUnitCreations", "getTestSalesUnit", "listTestSalesUnits"} {
		assert.Positive(t, ct.Seen(op), "%s was exercised", op)
	}
}
