package salesunit_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/salesunit"
)

var contractRouter = sync.OnceValues(func() (routers.Router, error) {
	doc, err := openapi3.NewLoader().LoadFromFile("../portal/openapi.yaml")
	if err != nil {
		return nil, err
	}
	doc.Servers = nil // the simulator listens on a random port: route on paths only
	return gorillamux.NewRouter(doc)
})

// contractTransport fails the test for any request that is not valid under
// the contract (operation, path and query parameters, headers, JSON body).
type contractTransport struct {
	t      *testing.T
	router routers.Router
	inner  http.RoundTripper
	mu     sync.Mutex
	ops    map[string]bool
}

func (c *contractTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	route, params, err := c.router.FindRoute(req)
	if !assert.NoError(c.t, err, "%s %s matches no operation", req.Method, req.URL.Path) {
		return c.inner.RoundTrip(req)
	}
	vreq := req.Clone(context.Background())
	vreq.Body = io.NopCloser(bytes.NewReader(body))
	// The core sets the token request's client_id and client_secret under their
	// literal names (as Vipps spells them); on the wire header names are
	// case-insensitive, so validate them as a server reads them.
	vreq.Header = http.Header{}
	for k, vs := range req.Header {
		for _, v := range vs {
			vreq.Header.Add(k, v)
		}
	}
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, SkipSettingDefaults: true}}
	assert.NoError(c.t, openapi3filter.ValidateRequest(context.Background(), in), "%s %s", req.Method, req.URL.Path)
	c.mu.Lock()
	c.ops[route.Operation.OperationID] = true
	c.mu.Unlock()
	return c.inner.RoundTrip(req)
}

// Every request the salesunit services send is valid under the contract.
func TestRequestsMatchTheContract(t *testing.T) {
	router, err := contractRouter()
	require.NoError(t, err)
	s := newSim(t, portaltest.WithManualProvisioning())
	inner := &http.Transport{}
	t.Cleanup(inner.CloseIdleConnections)
	ct := &contractTransport{t: t, router: router, inner: inner, ops: map[string]bool{}}
	hc := portal.WithHTTPClient(&http.Client{Transport: ct})
	admin := simClient(t, s, s.UserCredentials(portaltest.AdminUserID), hc)
	partner := simClient(t, s, s.PartnerCredentials(portaltest.PartnerID), hc)
	ctx := t.Context()

	_, err = admin.SalesUnits.List(ctx)
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
	o, err := partner.ProductOrders.Prefill(ctx, &salesunit.ProductOrderRequest{
		BusinessIdentifier: acme, ProductType: salesunit.ProductPaymentIntegration,
		SalesUnitName: "ACME Shop", SalesUnitLogo: []byte("\x89PNG\r\n\x1a\n"),
		SettlementBankAccount: &salesunit.BankAccount{Scheme: "BBAN:NO", ID: "12345678903"},
		PricePackageID:        portaltest.PricePackageID, ProductUseCase: salesunit.UseCaseWebsiteWithTest,
		AnnualTurnover: &turnover, AnnualTurnoverPercentage: "100", IntendedPurpose: "Memberships",
		App: &salesunit.App{AppName: "ACME"},
		Website: &salesunit.Website{URL: "https://acme.example", TermsURL: "https://acme.example/terms",
			TestWebsiteURL: "https://test.acme.example", TestWebsiteUsername: "vipps", TestWebsitePassword: keys.Secret("pw")},
		HasRecurring: &recurring, MerchantCategoryCode: "7997",
	})
	require.NoError(t, err)
	_, err = partner.ProductOrders.Get(ctx, o.PrefilledOrderID)
	require.NoError(t, err)
	_, err = partner.ProductOrders.List(ctx)
	require.NoError(t, err)
	require.NoError(t, partner.ProductOrders.Delete(ctx, o.PrefilledOrderID))

	cr, err := admin.TestUnits.Create(ctx, salesunit.TestUnitRequest{Name: "Dev shop", Partner: "shopify",
		Options: salesunit.TestUnitOptions{SkipLandingPage: true}})
	require.NoError(t, err)
	_, err = admin.TestUnits.Creation(ctx, cr.CreationID)
	require.NoError(t, err)
	_, err = admin.TestUnits.Creations(ctx, salesunit.CreationPending, &salesunit.ListOptions{PageSize: 10})
	require.NoError(t, err)
	s.CompleteAll()
	_, err = admin.TestUnits.Get(ctx, portaltest.TestMSN)
	require.NoError(t, err)
	for _, err := range admin.TestUnits.All(ctx, &salesunit.ListOptions{PageSize: 1}) {
		require.NoError(t, err)
	}

	for _, op := range []string{"listSalesUnits", "getSalesUnit", "getMerchant", "listMerchantSalesUnits", "listPricePackages",
		"prefillProductOrder", "getProductOrder", "listProductOrders", "deleteProductOrder", "createTestSalesUnit",
		"getTestSalesUnitCreation", "listTestSalesUnitCreations", "getTestSalesUnit", "listTestSalesUnits"} {
		assert.True(t, ct.ops[op], "%s was exercised", op)
	}
}
