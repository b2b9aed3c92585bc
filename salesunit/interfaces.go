package salesunit

import (
	"context"

	"github.com/vippsportal/sdk/vipps"
)

// Small single-operation interfaces, so code that needs one call can take it
// as a parameter and a test can fake just that call. The services satisfy them.

// TestUnitCreator orders a test sales unit ([TestUnitsService.Create]).
type TestUnitCreator interface {
	Create(ctx context.Context, req TestUnitRequest) (*Creation, error)
}

// TestUnitWaiter waits for an ordered test sales unit ([TestUnitsService.WaitUntilReady]).
type TestUnitWaiter interface {
	WaitUntilReady(ctx context.Context, creationID string, opts *WaitOptions) (*TestUnit, error)
}

// ProductOrderPrefiller prefills a product order ([ProductOrdersService.Prefill]).
type ProductOrderPrefiller interface {
	Prefill(ctx context.Context, req ProductOrderRequest) (*PrefilledOrder, error)
}

// SalesUnitGetter reads one production sales unit ([SalesUnitsService.Get]).
type SalesUnitGetter interface {
	Get(ctx context.Context, msn string) (*SalesUnit, error)
}

// MerchantGetter reads one merchant by its business identifier ([MerchantsService.Get]).
type MerchantGetter interface {
	Get(ctx context.Context, bid vipps.BusinessIdentifier) (*Merchant, error)
}

// ProductOrderWaiter waits until a product order is completed
// ([ProductOrdersService.WaitUntilCompleted]).
type ProductOrderWaiter interface {
	WaitUntilCompleted(ctx context.Context, productOrderID string, opts *WaitOptions) (*ProductOrder, error)
}

var (
	_ MerchantGetter        = (*MerchantsService)(nil)
	_ ProductOrderWaiter    = (*ProductOrdersService)(nil)
	_ TestUnitCreator       = (*TestUnitsService)(nil)
	_ TestUnitWaiter        = (*TestUnitsService)(nil)
	_ ProductOrderPrefiller = (*ProductOrdersService)(nil)
	_ SalesUnitGetter       = (*SalesUnitsService)(nil)
)
