package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/salesunit"
	"github.com/vippsportal/sdk/vipps"
)

func (a *app) ordersCmd() *cobra.Command {
	return group("orders", "Product orders and price packages (Management API, partners)",
		"  portalctl orders price-packages\n"+
			"  portalctl orders prefill --scheme business:NO:ORG --id 987654325 --product-type PAYMENT_INTEGRATION\n"+
			"  portalctl orders wait 8a11afb7-c223-48ed-8ca6-4722b97261aa",
		a.verb("price-packages", "List the partner's price packages", "  portalctl orders price-packages --json",
			cobra.NoArgs, false, func(ctx context.Context, c *portal.Client, _ []string) error {
				pkgs, err := c.ProductOrders.PricePackages(ctx)
				if err != nil {
					return err
				}
				return list(a, pkgs, []string{"ID", "NAME", "PRODUCT TYPE", "MARKET", "DESCRIPTION"}, func(p salesunit.PricePackage) []string {
					return []string{p.PricePackageID, p.Name, string(p.ProductType), p.Market, p.Description}
				})
			}),
		a.prefillCmd(),
		a.verb("list", "List the partner's product orders", "  portalctl orders list",
			cobra.NoArgs, false, func(ctx context.Context, c *portal.Client, _ []string) error {
				orders, err := c.ProductOrders.List(ctx)
				if err != nil {
					return err
				}
				return list(a, orders, []string{"ID", "STATUS", "PRODUCT TYPE", "MERCHANT", "SALES UNIT"}, func(o salesunit.ProductOrder) []string {
					unit := "-"
					if o.SalesUnit != nil {
						unit = o.SalesUnit.MSN
					}
					return []string{o.ProductOrderID, string(o.Status), string(o.ProductType), o.BusinessIdentifier.Scheme + " " + o.BusinessIdentifier.ID, unit}
				})
			}),
		a.verb("get ID", "Show a product order", "  portalctl orders get 8a11afb7-c223-48ed-8ca6-4722b97261aa",
			cobra.ExactArgs(1), false, func(ctx context.Context, c *portal.Client, args []string) error {
				return a.show(c.ProductOrders.Get(ctx, args[0]))
			}),
		a.verb("wait ID", "Wait until the merchant's order is COMPLETED (progress on stderr)",
			"  portalctl orders wait 8a11afb7-c223-48ed-8ca6-4722b97261aa --timeout 1h",
			cobra.ExactArgs(1), true, func(ctx context.Context, c *portal.Client, args []string) error {
				opts, p := a.waitOptions(false)
				o, err := c.ProductOrders.WaitUntilCompleted(ctx, args[0], opts)
				p.finish()
				if err != nil {
					return err
				}
				return a.record(o)
			}),
		a.verb("delete ID", "Delete a prefilled order the merchant has not submitted",
			"  portalctl orders delete 8a11afb7-c223-48ed-8ca6-4722b97261aa",
			cobra.ExactArgs(1), false, func(ctx context.Context, c *portal.Client, args []string) error {
				if err := c.ProductOrders.Delete(ctx, args[0]); err != nil {
					return err
				}
				return a.done(map[string]any{"productOrderId": args[0], "deleted": true}, "Deleted product order "+args[0]+".")
			}),
	)
}

func (a *app) prefillCmd() *cobra.Command {
	var scheme, id, productType, pricePackage, name, website, terms string
	cmd := a.verb("prefill", "Prefill a product order for a merchant to review and submit",
		"  portalctl orders prefill --scheme business:NO:ORG --id 987654325 --product-type PAYMENT_INTEGRATION \\\n"+
			"      --price-package 8a11afb7-c223-48ed-8ca6-4722b97261aa --sales-unit-name 'ACME Web' \\\n"+
			"      --website-url https://acme.example --terms-url https://acme.example/terms",
		cobra.NoArgs, false, func(ctx context.Context, c *portal.Client, _ []string) error {
			req := salesunit.ProductOrderRequest{
				BusinessIdentifier: vipps.BusinessIdentifier{Scheme: scheme, ID: id},
				ProductType:        salesunit.ProductType(productType),
				PricePackageID:     pricePackage,
				SalesUnitName:      name,
			}
			if website != "" || terms != "" {
				req.Website = &salesunit.Website{URL: website, TermsURL: terms}
			}
			return a.show(c.ProductOrders.Prefill(ctx, req))
		})
	f := cmd.Flags()
	f.StringVar(&scheme, "scheme", "", "the merchant's business identifier scheme, such as business:NO:ORG (required)")
	f.StringVar(&id, "id", "", "the merchant's business identifier, such as an organisation number (required)")
	f.StringVar(&productType, "product-type", "", "PAYMENT_INTEGRATION, CASHIER, CHECKOUT, LOGIN or DONATIONS (required)")
	f.StringVar(&pricePackage, "price-package", "", "one of the partner's price packages (see 'orders price-packages')")
	f.StringVar(&name, "sales-unit-name", "", "the new sales unit's name, at most 40 characters")
	f.StringVar(&website, "website-url", "", "the merchant's website (https; with --terms-url)")
	f.StringVar(&terms, "terms-url", "", "the website's terms and conditions (https; with --website-url)")
	for _, name := range []string{"scheme", "id", "product-type"} {
		_ = cmd.MarkFlagRequired(name)
	}
	cmd.MarkFlagsRequiredTogether("website-url", "terms-url")
	_ = cmd.RegisterFlagCompletionFunc("product-type", completeWith(string(salesunit.ProductPaymentIntegration),
		string(salesunit.ProductCashier), string(salesunit.ProductCheckout), string(salesunit.ProductLogin), string(salesunit.ProductDonations)))
	return cmd
}
