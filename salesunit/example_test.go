package salesunit_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/salesunit"
	"github.com/vippsportal/sdk/vipps"
)

func ExampleTestUnitsService_Create() {
	s := portaltest.NewServer()
	defer s.Close()
	c := s.AdminClient()

	cr, err := c.TestUnits.Create(context.Background(), salesunit.TestUnitRequest{
		Name:    "Dev shop",
		Options: salesunit.TestUnitOptions{SkipLandingPage: true, Recurring: true, DirectCapture: true},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cr.Status, cr.Request.Name, cr.Request.Options.DirectCapture)
	// Output: PENDING Dev shop true
}

func ExampleTestUnitsService_WaitUntilReady() {
	s := portaltest.NewServer(portaltest.WithProvisioningDelay(300*time.Millisecond), portaltest.WithKeysDelay(100*time.Millisecond))
	defer s.Close()
	c := s.AdminClient()
	ctx := context.Background()

	cr, err := c.TestUnits.Create(ctx, salesunit.TestUnitRequest{Name: "Dev shop",
		Options: salesunit.TestUnitOptions{Recurring: true}})
	if err != nil {
		log.Fatal(err)
	}
	u, err := c.TestUnits.WaitUntilReady(ctx, cr.CreationID, &salesunit.WaitOptions{
		MinDelay:    100 * time.Millisecond, // the defaults (2 s growing to 20 s) suit the real portal
		Timeout:     time.Minute,
		WaitForKeys: true, // so that c.Keys.Get(ctx, u.MSN) cannot answer keys-not-ready
	})
	var failed *salesunit.CreationFailedError
	switch {
	case errors.As(err, &failed):
		log.Fatalf("provisioning failed: %s", failed.Creation.Failure.Detail)
	case errors.Is(err, vipps.ErrWaitTimeout):
		log.Fatal("still not ready; the creation goes on: find it later with Creations")
	case err != nil:
		log.Fatal(err)
	}
	fmt.Println(u.Name, u.Configuration.CaptureType, *u.Configuration.RecurringAllowed, u.KeysReady)
	// Output: Dev shop ReserveCapture true true
}

func ExampleTestUnitsService_All() {
	s := portaltest.NewServer()
	defer s.Close()
	c := s.AdminClient()

	for u, err := range c.TestUnits.All(context.Background(), &vipps.ListOptions{PageSize: 50}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(u.MSN, u.Name)
	}
	// Output: 223344 ACME Test
}

func ExampleProductOrdersService_Prefill() {
	s := portaltest.NewServer()
	defer s.Close()
	partner, err := s.Client(s.PartnerCredentials(portaltest.PartnerID))
	if err != nil {
		log.Fatal(err)
	}

	o, err := partner.ProductOrders.Prefill(context.Background(), salesunit.ProductOrderRequest{
		BusinessIdentifier: vipps.BusinessIdentifier{Scheme: "business:NO:ORG", ID: "987654325"},
		ProductType:        salesunit.ProductCheckout,
		SalesUnitName:      "ACME Shop",
		PricePackageID:     portaltest.PricePackageID,
	})
	if err != nil {
		log.Fatal(err)
	}
	// Send the merchant to o.PrefillURL to review and submit the order.
	fmt.Println(o.ProductOrderID != "", o.PrefillURL != "")
	// Output: true true
}

func ExampleProductOrdersService_WaitUntilCompleted() {
	s := portaltest.NewServer(portaltest.WithOrderStep(200 * time.Millisecond))
	defer s.Close()
	partner, err := s.Client(s.PartnerCredentials(portaltest.PartnerID))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	o, err := partner.ProductOrders.Prefill(ctx, salesunit.ProductOrderRequest{
		BusinessIdentifier: vipps.BusinessIdentifier{Scheme: "business:NO:ORG", ID: "987654325"},
		ProductType:        salesunit.ProductPaymentIntegration,
	})
	if err != nil {
		log.Fatal(err)
	}
	done, err := partner.ProductOrders.WaitUntilCompleted(ctx, o.ProductOrderID,
		&salesunit.WaitOptions{MinDelay: 100 * time.Millisecond, MaxDelay: 200 * time.Millisecond, Timeout: time.Minute})
	if errors.Is(err, salesunit.ErrOrderClosed) {
		log.Fatal("the merchant rejected the order, or it expired")
	} else if err != nil {
		log.Fatal(err)
	}
	fmt.Println(done.Status, done.SalesUnit != nil)
	// Output: COMPLETED true
}

func ExampleSalesUnitsService_Get() {
	s := portaltest.NewServer()
	defer s.Close()
	c := s.AdminClient()

	u, err := c.SalesUnits.Get(context.Background(), portaltest.ProductionMSN)
	if err != nil {
		log.Fatal(err)
	}
	// Configuration fields may be absent, which does not mean false.
	if r := u.Configuration.RecurringAllowed; r != nil {
		fmt.Println(u.Name, "recurring allowed:", *r)
	}
	// Output: ACME Web recurring allowed: true
}

// In your own tests, a wait needs no tuned delays: start the simulator with
// on-demand provisioning, complete the creation (and issue its keys) before
// waiting, and WaitUntilReady returns on its first poll. To watch a unit go
// through PENDING instead, run the wait inside testing/synctest with the
// simulator's Handler behind an in-memory transport, so its delays (and the
// server's Retry-After estimates) pass on the fake clock.
func ExampleTestUnitsService_WaitUntilReady_inTests() {
	sim := portaltest.NewServer(portaltest.WithManualProvisioning())
	defer sim.Close()
	c := sim.AdminClient()
	ctx := context.Background()

	cr, err := c.TestUnits.Create(ctx, salesunit.TestUnitRequest{Name: "Dev shop"})
	if err != nil {
		log.Fatal(err)
	}
	msn, err := sim.CompleteCreation(cr.CreationID) // the unit exists now
	if err != nil {
		log.Fatal(err)
	}
	if err := sim.IssueKeys(msn); err != nil {
		log.Fatal(err)
	}
	polls := 0
	u, err := c.TestUnits.WaitUntilReady(ctx, cr.CreationID, &salesunit.WaitOptions{
		WaitForKeys: true,
		OnPoll:      func(salesunit.PollEvent) { polls++ },
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u.MSN == msn, u.KeysReady, polls)
	// Output: true true 1
}
