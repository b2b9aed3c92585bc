// Command onboard-merchant is a partner onboarding a merchant: it prefills a
// product order, prints the URL where the merchant reviews and submits it, and
// waits until the order is COMPLETED with a new sales unit.
//
// With VIPPS_* settings (a partner's keys, see portal.NewFromEnv) it talks to
// Vipps; without them it starts the SDK's simulator in-process, where the
// order moves one status every -order-step.
//
//	go run ./examples/onboard-merchant -id 987654325 -product CHECKOUT
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"time"

	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/salesunit"
)

func main() {
	log.SetFlags(0)
	scheme := flag.String("scheme", "business:NO:ORG", "the merchant's business identifier scheme")
	id := flag.String("id", portaltest.DefaultMerchantID, "the merchant's organisation number")
	product := flag.String("product", string(salesunit.ProductCheckout), "product type to order")
	name := flag.String("name", "ACME Shop", "name of the new sales unit")
	timeout := flag.Duration("timeout", 10*time.Minute, "how long to wait for the merchant")
	step := flag.Duration("order-step", 300*time.Millisecond, "simulator only: how fast the order moves")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, salesunit.BusinessIdentifier{Scheme: *scheme, ID: *id}, salesunit.ProductType(*product), *name, *timeout, *step); err != nil {
		log.Fatalf("onboard-merchant: %v", err)
	}
}

func run(ctx context.Context, bid salesunit.BusinessIdentifier, product salesunit.ProductType, name string, timeout, step time.Duration) error {
	c, wait, closeFn, err := client(step)
	if err != nil {
		return err
	}
	defer closeFn()
	wait.Timeout = timeout
	wait.OnPoll = func(ev salesunit.PollEvent) {
		if o := ev.Order; o != nil {
			log.Printf("  order is %s (poll %d, next in %s)", o.Status, ev.Attempt, ev.NextDelay.Round(time.Millisecond))
		} else if ev.Err != nil {
			log.Printf("  poll %d failed, retrying: %v", ev.Attempt, ev.Err)
		}
	}

	o, err := c.ProductOrders.Prefill(ctx, salesunit.ProductOrderRequest{BusinessIdentifier: bid, ProductType: product, SalesUnitName: name})
	if err != nil {
		return fmt.Errorf("prefilling the order: %w", err)
	}
	log.Printf("prefilled order %s; the merchant reviews and submits it at\n  %s", o.ProductOrderID, o.PrefillURL)

	done, err := c.ProductOrders.WaitUntilCompleted(ctx, o.ProductOrderID, wait)
	var closed *salesunit.OrderClosedError
	switch {
	case errors.As(err, &closed):
		return fmt.Errorf("the order ended %s", closed.Order.Status)
	case errors.Is(err, portal.ErrWaitTimeout):
		return fmt.Errorf("the merchant has not completed the order yet (still %s); run again later: %w", lastStatus(err), err)
	case err != nil:
		return err
	}
	if done.SalesUnit == nil {
		return errors.New("the order completed without a sales unit")
	}
	log.Printf("order COMPLETED: new sales unit %s %q", done.SalesUnit.MSN, done.SalesUnit.Name)
	return nil
}

func lastStatus(err error) string {
	var wt *portal.WaitTimeoutError
	if errors.As(err, &wt) && wt.LastStatus != "" {
		return wt.LastStatus
	}
	return "unknown"
}

// client uses the VIPPS_* settings when present, else an in-process simulator
// acting as its seeded partner, with quick polling.
func client(step time.Duration) (*portal.Client, *salesunit.WaitOptions, func(), error) {
	if portal.EnvConfigured() {
		c, err := portal.NewFromEnv()
		return c, &salesunit.WaitOptions{}, func() {}, err
	}
	s := portaltest.NewServer(portaltest.WithOrderStep(step))
	log.Printf("no VIPPS_* settings: using the simulator at %s", s.URL)
	c, err := s.Client(s.PartnerCredentials(portaltest.PartnerID))
	if err != nil {
		s.Close()
		return nil, nil, nil, err
	}
	return c, &salesunit.WaitOptions{MinDelay: step / 2, MaxDelay: step}, s.Close, nil
}
