package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vippsportal/sdk/portal"
)

const settingsHelp = `Settings come from the environment, as portal.NewFromEnv reads them:

  VIPPS_CLIENT_ID         the key set's client id
  VIPPS_CLIENT_SECRET     its client secret
  VIPPS_SUBSCRIPTION_KEY  its subscription key (Ocp-Apim-Subscription-Key); none for management keys
  VIPPS_MSN               the Merchant-Serial-Number to send (a sales unit's own keys)
  VIPPS_ENVIRONMENT       production (default) or test
  VIPPS_BASE_URL          a base URL of your own (a gateway, the simulator); overrides the environment
  VIPPS_PORTAL_URL        the host root of the portal operations (test units, keys, users)
  VIPPS_TOKEN_FLOW        standard (default) or specialized (a partner's management keys)

Run 'portalctl doctor' to see what the keys reach and which setting is wrong.`

// root builds the command tree. Each noun is a group of verbs in its own
// file; a new noun is one more line here.
func (a *app) root() *cobra.Command {
	root := &cobra.Command{
		Use:   "portalctl",
		Short: "The Vipps portal SDK from the shell",
		Long: "portalctl does from the shell what people do by hand on portal.vippsmobilepay.com: sales units,\n" +
			"product orders, test sales units, API keys, portal users and webhooks.\n\n" +
			"Tables for people by default, one JSON document with --json for scripts. Exit codes:\n" +
			"0 done, 1 failed, 2 usage error.\n\n" + settingsHelp,
		Example: "  portalctl doctor\n" +
			"  portalctl salesunits list\n" +
			"  portalctl testunits create --name 'Dev shop' --direct-capture --wait\n" +
			"  portalctl users list --json | jq '.[].name'",
		Args:                       subcommandArgs,
		RunE:                       showHelp,
		SuggestionsMinimumDistance: 2,
		SilenceUsage:               true,
		SilenceErrors:              true,
		CompletionOptions:          cobra.CompletionOptions{DisableDefaultCmd: true},
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			// Checked here rather than by cobra after PreRun, so that a
			// missing flag is a usage error like every other.
			if err := cmd.ValidateRequiredFlags(); err != nil {
				return &usageError{err}
			}
			if err := cmd.ValidateFlagGroups(); err != nil {
				return &usageError{err}
			}
			if a.timeout < 0 {
				return usage("--timeout must not be negative, got %s", a.timeout)
			}
			return nil
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	f := root.PersistentFlags()
	f.BoolVar(&a.json, "json", false, "print one JSON document on stdout (field names as in the API contract)")
	f.StringVar(&a.msn, "msn", "", "send this Merchant-Serial-Number on every call (partner keys act for many units)")
	f.DurationVar(&a.timeout, "timeout", 0, "bound on the whole command (default 10m for waits, 30s otherwise)")
	f.BoolVarP(&a.verbose, "verbose", "v", false, "log the SDK's requests to stderr (no secret is ever logged)")
	root.AddCommand(
		a.doctorCmd(),
		a.salesUnitsCmd(),
		a.merchantsCmd(),
		a.ordersCmd(),
		a.testUnitsCmd(),
		a.keysCmd(),
		a.usersCmd(),
		a.webhooksCmd(),
		a.versionCmd(),
		completionCmd(root),
	)
	root.InitDefaultHelpCmd()
	for _, c := range root.Commands() {
		if c.Name() == "help" {
			c.Example = "  portalctl help testunits create"
		}
	}
	return root
}

// group is a noun: it runs no work of its own, shows its help, and refuses
// an unknown verb as a usage error.
func group(use, short, example string, verbs ...*cobra.Command) *cobra.Command {
	g := &cobra.Command{Use: use, Short: short, Example: example, Args: subcommandArgs, RunE: showHelp, SuggestionsMinimumDistance: 2}
	g.AddCommand(verbs...)
	return g
}

// verb is a command that calls the SDK: args checks its arguments (a usage
// error when they do not fit), run does the work with a client built from
// the environment and a context bounded by --timeout.
func (a *app) verb(use, short, example string, args cobra.PositionalArgs, wait bool,
	run func(ctx context.Context, c *portal.Client, args []string) error) *cobra.Command {
	return &cobra.Command{
		Use: use, Short: short, Example: example,
		Args: usageArgs(args),
		RunE: func(cmd *cobra.Command, got []string) error {
			return a.call(cmd.Context(), wait, func(ctx context.Context, c *portal.Client) error { return run(ctx, c, got) })
		},
	}
}

// usageArgs makes the errors of args usage errors.
func usageArgs(args cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, got []string) error {
		if err := args(cmd, got); err != nil {
			return &usageError{err}
		}
		return nil
	}
}

func showHelp(cmd *cobra.Command, _ []string) error { return cmd.Help() }

// subcommandArgs refuses an argument to a command that only has subcommands:
// it is a mistyped verb.
func subcommandArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t")
	}
	return usage("%s", msg)
}

// completeWith offers values for an argument or a flag.
func completeWith(values ...string) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}
