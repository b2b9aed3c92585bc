// Command onboard-merchant is a partner onboarding a merchant: it picks one of
// its price packages, prefills a product order, prints the URL where the
// merchant reviews and submits it, and waits until the order is COMPLETED with
// a new sales unit. It uses the Management API only.
//
//	go run ./examples/onboard-merchant -id 987654325 -product CHECKOUT
//
// With no VIPPS_* variable set it starts the SDK's simulator in this process,
// acting as its partner, where the order moves one status every -order-step.
// Otherwise it connects with portal.NewFromEnv: a partner's keys.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/vippsportal/sdk/examples/internal/exampleenv"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/salesunit"
	"github.com/vippsportal/sdk/vipps"
)

const about = `onboard-merchant prefills a product order for a merchant, with the partner's
price package for the product, and waits until the merchant has completed it.`

func main() { exampleenv.Main(run) }

// run is the whole program; it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, sim exampleenv.Sim) int {
	fs := exampleenv.Flags("onboard-merchant", about)
	var req salesunit.ProductOrderRequest
	fs.StringVar(&req.BusinessIdentifier.Scheme, "scheme", "business:NO:ORG", "the merchant's business identifier scheme")
	fs.StringVar(&req.BusinessIdentifier.ID, "id", portaltest.DefaultMerchantID, "the merchant's organisation number")
	product := fs.String("product", string(salesunit.ProductCheckout), "product type to order")
	fs.StringVar(&req.SalesUnitName, "name", "ACME Shop", "name of the new sales unit")
	fs.StringVar(&req.PricePackageID, "price-package", "", "price package id (default: the first of yours for the product, if any)")
	timeout := fs.Duration("timeout", 10*time.Minute, "how long to wait for the merchant")
	step := fs.Duration("order-step", 300*time.Millisecond, "simulator only: how often the order moves one status (0: never)")
	p := exampleenv.Program{Flags: fs, As: exampleenv.Partner, SimOptions: func() []portaltest.Option {
		return []portaltest.Option{portaltest.WithOrderStep(*step)}
	}}
	return p.Run(ctx, args, stdout, stderr, sim, func(ctx context.Context, c *exampleenv.Conn) error {
		req.ProductType = salesunit.ProductType(*product)
		// On the simulator, poll about as often as the order moves; against Vipps the defaults suit a person's pace.
		wait := &salesunit.WaitOptions{Timeout: *timeout}
		if c.Sim != nil && *step > 0 {
			wait.MinDelay, wait.MaxDelay = *step/2, *step
		}
		return onboard(ctx, c.Client, &req, wait, stdout)
	})
}

// onboard orders the product for the merchant and waits for the merchant.
func onboard(ctx context.Context, c *portal.Client, req *salesunit.ProductOrderRequest, wait *salesunit.WaitOptions, out io.Writer) error {
	pkgs, err := c.ProductOrders.PricePackages(ctx)
	if err != nil {
		return fmt.Errorf("listing price packages: %w", err)
	}
	for _, p := range pkgs {
		fmt.Fprintf(out, "price package %s %q (%s)\n", p.PricePackageID, p.Name, p.ProductType)
		if req.PricePackageID == "" && (p.ProductType == "" || p.ProductType == req.ProductType) {
			req.PricePackageID = p.PricePackageID
		}
	}
	if req.PricePackageID == "" {
		fmt.Fprintf(out, "no price package of yours is for %s: the order goes without one (Vipps' standard prices)\n", req.ProductType)
	}

	o, err := c.ProductOrders.Prefill(ctx, *req)
	if err != nil {
		return fmt.Errorf("prefilling the order: %w", err)
	}
	fmt.Fprintf(out, "prefilled order %s; the merchant reviews and submits it at\n  %s\n", o.ProductOrderID, o.PrefillURL)

	wait.OnPoll = func(ev salesunit.PollEvent) {
		if po := ev.Order; po != nil {
			fmt.Fprintf(out, "  poll %d: order %s\n", ev.Attempt, po.Status)
		} else if ev.Err != nil {
			fmt.Fprintf(out, "  poll %d failed, retrying: %v\n", ev.Attempt, ev.Err)
		}
	}
	done, err := c.ProductOrders.WaitUntilCompleted(ctx, o.ProductOrderID, wait)
	var closed *salesunit.OrderClosedError
	var timeout *vipps.WaitTimeoutError
	switch {
	case errors.As(err, &closed):
		return fmt.Errorf("order %s ended %s", o.ProductOrderID, closed.Order.Status)
	case errors.As(err, &timeout):
		last := "no answer"
		if timeout.LastStatus != "" {
			last = timeout.LastStatus
		}
		return fmt.Errorf("the merchant has not completed order %s yet (still %s); run again later: %w", o.ProductOrderID, last, err)
	case err != nil:
		return fmt.Errorf("waiting for order %s: %w", o.ProductOrderID, err)
	case done.SalesUnit == nil:
		return fmt.Errorf("order %s completed without a sales unit", o.ProductOrderID)
	}
	fmt.Fprintf(out, "order COMPLETED: new sales unit %s %q\n", done.SalesUnit.MSN, done.SalesUnit.Name)
	return nil
}
