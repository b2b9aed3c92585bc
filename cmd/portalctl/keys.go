package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/portal"
)

func (a *app) keysCmd() *cobra.Command {
	return group("keys", "API keys of sales units (portal operations)",
		"  portalctl keys get 123456\n  portalctl keys get 123456 --store keys.json\n  portalctl keys verify 123456\n"+
			"  portalctl keys rotate 123456 --store keys.json",
		a.getKeysCmd(),
		a.verb("verify MSN", "Prove that a unit's keys get tokens, with each subscription key",
			"  portalctl keys verify 123456",
			cobra.ExactArgs(1), false, func(ctx context.Context, c *portal.Client, args []string) error {
				set, err := c.Keys.Get(ctx, args[0])
				if err != nil {
					return err
				}
				v, err := c.Keys.Verify(ctx, *set)
				if v != nil {
					if perr := a.record(v); perr != nil {
						return perr
					}
				}
				return err
			}),
		a.regenerateKeysCmd(),
		a.rotateKeysCmd(),
	)
}

func (a *app) getKeysCmd() *cobra.Command {
	var s secretFlags
	cmd := a.verb("get MSN", "Show a unit's key set (secrets only with --reveal or --store)",
		"  portalctl keys get 123456\n  portalctl keys get 123456 --reveal --json\n  portalctl keys get 123456 --store keys.json",
		cobra.ExactArgs(1), false, func(ctx context.Context, c *portal.Client, args []string) error {
			return s.show(a, func() (*keys.Set, error) { return c.Keys.Get(ctx, args[0]) })
		})
	s.register(cmd)
	return cmd
}

func (a *app) regenerateKeysCmd() *cobra.Command {
	var s secretFlags
	names := []string{string(keys.ClientID), string(keys.ClientSecret), string(keys.SubscriptionKeyPrimary), string(keys.SubscriptionKeySecondary)}
	cmd := a.verb("regenerate MSN KEY", "Replace one key with a new value (the old one stops working at once)",
		"  portalctl keys regenerate 123456 subscriptionKeySecondary\n  portalctl keys regenerate 123456 clientSecret --store keys.json --force",
		cobra.ExactArgs(2), false, func(ctx context.Context, c *portal.Client, args []string) error {
			return s.show(a, func() (*keys.Set, error) { return c.Keys.Regenerate(ctx, args[0], keys.Name(args[1])) })
		})
	cmd.Long = "regenerate replaces KEY (" + fmt.Sprint(names) + ") of the unit MSN and shows the new set.\n" +
		"The old value stops working at once; to change keys without downtime, rotate them instead."
	cmd.ValidArgsFunction = func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) == 1 {
			return names, cobra.ShellCompDirectiveNoFileComp
		}
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	s.register(cmd)
	return cmd
}

// secretFlags are how a command that reads a key set shows its secrets:
// redacted, unless --reveal; in a 0600 file with --store.
type secretFlags struct {
	reveal, force bool
	store         string
}

func (s *secretFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.BoolVar(&s.reveal, "reveal", false, "show the secrets on stdout")
	f.StringVar(&s.store, "store", "", "write the key set, secrets included, to `FILE` (mode 0600; keys.NewFileSource follows it)")
	f.BoolVar(&s.force, "force", false, "with --store: replace the file if it exists")
	_ = cmd.MarkFlagFilename("store", "json")
}

// show runs get and prints the set. A --store file is checked before get is
// called, so that a key regenerated has its place to go.
func (s *secretFlags) show(a *app, get func() (*keys.Set, error)) error {
	var file *keyFile
	if s.store != "" {
		f, err := openKeyFile(s.store, s.force)
		if err != nil {
			return err
		}
		file = f
	}
	set, err := get()
	if err != nil {
		return err
	}
	if file != nil {
		if err := file.save(set); err != nil {
			return fmt.Errorf("--store %s: %w (the keys can be read again with 'portalctl keys get %s')", s.store, err, set.MSN)
		}
		fmt.Fprintf(a.stderr, "Stored the key set of %s in %s (mode 0600).\n", set.MSN, s.store)
	}
	if s.reveal {
		return a.record(set.Reveal())
	}
	return a.record(set)
}
