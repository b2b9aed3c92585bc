package portal_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/vipps"
)

// New builds every service (through the constructors the domain packages
// register), and each one works: one call per service against the simulator.
func TestNewBuildsEveryService(t *testing.T) {
	s := portaltest.NewServer()
	t.Cleanup(s.Close)
	c := s.AdminClient(quickRetry)
	require.NotNil(t, c.SalesUnits)
	require.NotNil(t, c.Merchants)
	require.NotNil(t, c.ProductOrders)
	require.NotNil(t, c.TestUnits)
	require.NotNil(t, c.Keys)
	require.NotNil(t, c.Users)

	ctx := t.Context()
	_, err := c.SalesUnits.List(ctx)
	assert.NoError(t, err)
	_, err = c.Merchants.SalesUnits(ctx, vipps.BusinessIdentifier{Scheme: portaltest.DefaultMerchantScheme, ID: portaltest.DefaultMerchantID})
	assert.NoError(t, err)
	_, err = c.TestUnits.Get(ctx, portaltest.TestMSN)
	assert.NoError(t, err)
	_, err = c.Keys.Get(ctx, portaltest.ProductionMSN)
	assert.NoError(t, err)
	_, err = c.Users.Me(ctx)
	assert.NoError(t, err)
	partner, err := s.Client(s.PartnerCredentials(portaltest.PartnerID), quickRetry)
	require.NoError(t, err)
	_, err = partner.ProductOrders.PricePackages(ctx)
	assert.NoError(t, err)
}
