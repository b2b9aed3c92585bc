// Package salesunit holds the services for sales units: the Management API's
// sales units, merchants and product orders, and the portal's test sales units.
package salesunit

import "github.com/vippsportal/sdk/internal/core"

// SalesUnitsService reads production sales units (Management API).
type SalesUnitsService struct{ c *core.Client }

// MerchantsService reads merchants (Management API).
type MerchantsService struct{ c *core.Client }

// ProductOrdersService prefills and follows product orders (Management API, partners).
type ProductOrdersService struct{ c *core.Client }

// TestUnitsService orders and reads test sales units (portal operations).
type TestUnitsService struct{ c *core.Client }

// NewSalesUnitsService is called by portal.New.
func NewSalesUnitsService(c *core.Client) *SalesUnitsService { return &SalesUnitsService{c: c} }

// NewMerchantsService is called by portal.New.
func NewMerchantsService(c *core.Client) *MerchantsService { return &MerchantsService{c: c} }

// NewProductOrdersService is called by portal.New.
func NewProductOrdersService(c *core.Client) *ProductOrdersService {
	return &ProductOrdersService{c: c}
}

// NewTestUnitsService is called by portal.New.
func NewTestUnitsService(c *core.Client) *TestUnitsService { return &TestUnitsService{c: c} }
