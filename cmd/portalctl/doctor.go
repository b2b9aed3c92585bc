package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/vippsportal/sdk/portal"
)

func (a *app) doctorCmd() *cobra.Command {
	cmd := a.verb("doctor", "Tell what the keys reach and which setting is wrong",
		"  portalctl doctor\n  portalctl doctor --msn 123456 --json",
		cobra.NoArgs, false, func(ctx context.Context, c *portal.Client, _ []string) error {
			d, err := c.Diagnose(ctx)
			if d != nil {
				flagNames(d)
				if a.json {
					if err := writeJSON(a.stdout, d); err != nil {
						return err
					}
				} else if _, err := a.stdout.Write([]byte(d.String())); err != nil {
					return err
				}
			}
			if err != nil {
				return err
			}
			return d.Err()
		})
	cmd.Long = "doctor runs portal.Client.Diagnose: it checks the key values for stray spaces and quotes,\n" +
		"gets a token, and reads what the keys reach (Management API, portal, Webhooks API), changing\n" +
		"nothing. It tells the kind of keys (a sales unit's own keys, a portal user's API client, a\n" +
		"partner's API client or its management keys) from what answers, and names the setting to fix.\n\n" +
		"Exit code 0 when the keys work for what their kind reaches (a sales unit's own keys are not\n" +
		"expected to reach portal operations), 1 when a check failed: no token, a refused subscription\n" +
		"key, an MSN out of reach, a base URL that does not answer.\n\n" + settingsHelp
	return cmd
}

// flagNames says --msn where the SDK names the MSN the call's context
// carried (WithMSN): here that is the flag.
func flagNames(d *portal.Diagnosis) {
	for i := range d.Checks {
		if d.Checks[i].Setting == "WithMSN" {
			d.Checks[i].Setting = "--msn"
		}
	}
}
