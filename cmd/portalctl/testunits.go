package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/salesunit"
)

func (a *app) testUnitsCmd() *cobra.Command {
	return group("testunits", "Test sales units (portal operations)",
		"  portalctl testunits create --name 'Dev shop' --recurring --wait\n  portalctl testunits list",
		a.createTestUnitCmd(),
		a.verb("list", "List the merchant's test sales units", "  portalctl testunits list --json",
			cobra.NoArgs, false, func(ctx context.Context, c *portal.Client, _ []string) error {
				var units []salesunit.TestUnit
				for u, err := range c.TestUnits.All(ctx, nil) {
					if err != nil {
						return err
					}
					units = append(units, u)
				}
				return list(a, units, []string{"MSN", "NAME", "OPTIONS", "KEYS READY", "COMPLETED"}, func(u salesunit.TestUnit) []string {
					return []string{u.MSN, u.Name, optionsText(u.Options), yesNo(u.KeysReady), u.CompletedAt.Format(time.RFC3339)}
				})
			}),
		a.verb("get MSN", "Show a test sales unit", "  portalctl testunits get 223344",
			cobra.ExactArgs(1), false, func(ctx context.Context, c *portal.Client, args []string) error {
				return a.show(c.TestUnits.Get(ctx, args[0]))
			}),
		a.creationsCmd(),
		a.verb("wait CREATION-ID", "Wait until an ordered test unit and its keys are ready (progress on stderr)",
			"  portalctl testunits wait 3f2b9c1e-8d4a-4b6e-9f1a-2c3d4e5f6a7b",
			cobra.ExactArgs(1), true, func(ctx context.Context, c *portal.Client, args []string) error {
				return a.waitForTestUnit(ctx, c, args[0])
			}),
	)
}

func (a *app) createTestUnitCmd() *cobra.Command {
	var req salesunit.TestUnitRequest
	var wait bool
	cmd := a.verb("create", "Order a test sales unit with the portal's three options",
		"  portalctl testunits create --name 'Dev shop'\n"+
			"  portalctl testunits create --name 'Dev shop' --skip-landing-page --recurring --direct-capture --wait",
		cobra.NoArgs, true, func(ctx context.Context, c *portal.Client, _ []string) error {
			cr, err := c.TestUnits.Create(ctx, req)
			if err != nil {
				return err
			}
			if wait {
				return a.waitForTestUnit(ctx, c, cr.CreationID)
			}
			if !a.json {
				fmt.Fprintf(a.stderr, "Ordered. Wait for it with: portalctl testunits wait %s\n", cr.CreationID)
			}
			return a.record(cr)
		})
	f := cmd.Flags()
	f.StringVar(&req.Name, "name", "", "the unit's name, shown in the app: 1-50 characters (required)")
	f.StringVar(&req.Partner, "partner", "", "free text naming the partner that ordered it, at most 50 characters")
	f.BoolVar(&req.Options.SkipLandingPage, "skip-landing-page", false, "allow skipping the landing page")
	f.BoolVar(&req.Options.Recurring, "recurring", false, "allow recurring payments")
	f.BoolVar(&req.Options.DirectCapture, "direct-capture", false, "capture payments directly (else reserve, then capture)")
	f.BoolVar(&wait, "wait", false, "wait until the unit and its keys are ready, and show the unit")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

// waitForTestUnit waits for a creation and its keys, reporting progress.
func (a *app) waitForTestUnit(ctx context.Context, c *portal.Client, creationID string) error {
	opts, p := a.waitOptions(true)
	u, err := c.TestUnits.WaitUntilReady(ctx, creationID, opts)
	p.finish()
	if err != nil {
		return err
	}
	return a.record(u)
}

func (a *app) creationsCmd() *cobra.Command {
	var status string
	cmd := a.verb("creations", "List the merchant's test unit orders (find a creation whose id was lost)",
		"  portalctl testunits creations --status PENDING",
		cobra.NoArgs, false, func(ctx context.Context, c *portal.Client, _ []string) error {
			var all []salesunit.Creation
			opts := &salesunit.CreationListOptions{Status: salesunit.CreationStatus(status)}
			for cr, err := range c.TestUnits.AllCreations(ctx, opts) {
				if err != nil {
					return err
				}
				all = append(all, cr)
			}
			return list(a, all, []string{"CREATION ID", "STATUS", "NAME", "MSN", "CREATED"}, func(cr salesunit.Creation) []string {
				return []string{cr.CreationID, string(cr.Status), cr.Request.Name, orDash(cr.MSN), cr.CreatedAt.Format(time.RFC3339)}
			})
		})
	cmd.Flags().StringVar(&status, "status", "", "only PENDING, COMPLETED or FAILED orders")
	_ = cmd.RegisterFlagCompletionFunc("status", completeWith(string(salesunit.CreationPending),
		string(salesunit.CreationCompleted), string(salesunit.CreationFailed)))
	return cmd
}

// optionsText names a test unit's options that are on.
func optionsText(o salesunit.TestUnitOptions) string {
	var on []string
	for _, opt := range []struct {
		name string
		on   bool
	}{{"skip-landing-page", o.SkipLandingPage}, {"recurring", o.Recurring}, {"direct-capture", o.DirectCapture}} {
		if opt.on {
			on = append(on, opt.name)
		}
	}
	return orDash(strings.Join(on, ","))
}
