package salesunit_test

import (
	"context"
	"testing"

	"github.com/vippsportal/sdk/internal/sdktest"
	"github.com/vippsportal/sdk/salesunit"
	"github.com/vippsportal/sdk/vipps"
)

// A service that portal.New did not build (a zero value, a nil pointer) fails
// every call with an *vipps.UnsupportedError that says to use portal.New,
// before any request and without a panic.
func TestServicesNotBuiltByNewFailClearly(t *testing.T) {
	bid := vipps.BusinessIdentifier{Scheme: "business:NO:ORG", ID: "987654325"}
	const orderID = "8a11afb7-c223-48ed-8ca6-4722b97261aa"
	var (
		zeroSU salesunit.SalesUnitsService
		zeroM  salesunit.MerchantsService
		zeroPO salesunit.ProductOrdersService
		zeroTU salesunit.TestUnitsService
		nilSU  *salesunit.SalesUnitsService
		nilM   *salesunit.MerchantsService
		nilPO  *salesunit.ProductOrdersService
		nilTU  *salesunit.TestUnitsService
	)
	calls := map[string]func(context.Context) error{}
	for name, su := range map[string]*salesunit.SalesUnitsService{"zero": &zeroSU, "nil": nilSU} {
		calls[name+" SalesUnits.List"] = func(ctx context.Context) error { _, err := su.List(ctx); return err }
		calls[name+" SalesUnits.Get"] = func(ctx context.Context) error { _, err := su.Get(ctx, "123456"); return err }
	}
	for name, m := range map[string]*salesunit.MerchantsService{"zero": &zeroM, "nil": nilM} {
		calls[name+" Merchants.Get"] = func(ctx context.Context) error { _, err := m.Get(ctx, bid); return err }
		calls[name+" Merchants.SalesUnits"] = func(ctx context.Context) error { _, err := m.SalesUnits(ctx, bid); return err }
	}
	for name, po := range map[string]*salesunit.ProductOrdersService{"zero": &zeroPO, "nil": nilPO} {
		calls[name+" ProductOrders.Get"] = func(ctx context.Context) error { _, err := po.Get(ctx, orderID); return err }
		calls[name+" ProductOrders.List"] = func(ctx context.Context) error { _, err := po.List(ctx); return err }
		calls[name+" ProductOrders.Delete"] = func(ctx context.Context) error { return po.Delete(ctx, orderID) }
		calls[name+" ProductOrders.PricePackages"] = func(ctx context.Context) error { _, err := po.PricePackages(ctx); return err }
	}
	for name, tu := range map[string]*salesunit.TestUnitsService{"zero": &zeroTU, "nil": nilTU} {
		calls[name+" TestUnits.Create"] = func(ctx context.Context) error {
			_, err := tu.Create(ctx, salesunit.TestUnitRequest{Name: "Dev shop"})
			return err
		}
		calls[name+" TestUnits.Get"] = func(ctx context.Context) error { _, err := tu.Get(ctx, "123456"); return err }
		calls[name+" TestUnits.List"] = func(ctx context.Context) error { _, err := tu.List(ctx, nil); return err }
		calls[name+" TestUnits.All"] = func(ctx context.Context) error {
			for _, err := range tu.All(ctx, nil) {
				return err
			}
			return nil
		}
		calls[name+" TestUnits.Creation"] = func(ctx context.Context) error { _, err := tu.Creation(ctx, orderID); return err }
		calls[name+" TestUnits.WaitUntilReady"] = func(ctx context.Context) error {
			_, err := tu.WaitUntilReady(ctx, orderID, nil)
			return err
		}
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) { sdktest.RequireNotBuilt(t, call) })
	}
}
