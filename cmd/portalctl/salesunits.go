package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/salesunit"
	"github.com/vippsportal/sdk/vipps"
)

var unitColumns = []string{"MSN", "NAME"}

func unitRow(u salesunit.MSNInfo) []string { return []string{u.MSN, u.Name} }

func (a *app) salesUnitsCmd() *cobra.Command {
	return group("salesunits", "Production sales units (Management API)",
		"  portalctl salesunits list\n  portalctl salesunits get 123456 --json",
		a.verb("list", "List the production sales units the keys reach", "  portalctl salesunits list\n  portalctl salesunits list --json | jq -r '.[].msn'",
			cobra.NoArgs, false, func(ctx context.Context, c *portal.Client, _ []string) error {
				units, err := c.SalesUnits.List(ctx)
				if err != nil {
					return err
				}
				return list(a, units, unitColumns, unitRow)
			}),
		a.verb("get MSN", "Show a production sales unit and its configuration", "  portalctl salesunits get 123456",
			cobra.ExactArgs(1), false, func(ctx context.Context, c *portal.Client, args []string) error {
				return a.show(c.SalesUnits.Get(ctx, args[0]))
			}),
	)
}

func (a *app) merchantsCmd() *cobra.Command {
	return group("merchants", "Merchants by business identifier (Management API)",
		"  portalctl merchants get business:NO:ORG 987654325\n  portalctl merchants salesunits business:NO:ORG 987654325",
		a.verb("get SCHEME ID", "Show a merchant", "  portalctl merchants get business:NO:ORG 987654325 --json",
			cobra.ExactArgs(2), false, func(ctx context.Context, c *portal.Client, args []string) error {
				return a.show(c.Merchants.Get(ctx, vipps.BusinessIdentifier{Scheme: args[0], ID: args[1]}))
			}),
		a.verb("salesunits SCHEME ID", "List a merchant's production sales units", "  portalctl merchants salesunits business:NO:ORG 987654325",
			cobra.ExactArgs(2), false, func(ctx context.Context, c *portal.Client, args []string) error {
				units, err := c.Merchants.SalesUnits(ctx, vipps.BusinessIdentifier{Scheme: args[0], ID: args[1]})
				if err != nil {
					return err
				}
				return list(a, units, unitColumns, unitRow)
			}),
	)
}
