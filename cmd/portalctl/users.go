package main

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/users"
)

var permissionNames = []string{string(users.PermissionDeveloper), string(users.PermissionTransactionManagement)}

func (a *app) usersCmd() *cobra.Command {
	return group("users", "Portal users and their access to sales units (portal operations)",
		"  portalctl users me\n  portalctl users invite --name 'Ola Nordmann' --phone +4791234567 --role ASSISTANT\n"+
			"  portalctl users grant 5b1e... 123456 DEVELOPER",
		a.verb("me", "Show the portal user the keys act as", "  portalctl users me --json",
			cobra.NoArgs, false, func(ctx context.Context, c *portal.Client, _ []string) error {
				return a.show(c.Users.Me(ctx))
			}),
		a.verb("list", "List the merchant's portal users (ADMINISTRATOR)", "  portalctl users list",
			cobra.NoArgs, false, func(ctx context.Context, c *portal.Client, _ []string) error {
				var all []users.User
				for u, err := range c.Users.All(ctx, nil) {
					if err != nil {
						return err
					}
					all = append(all, u)
				}
				return list(a, all, []string{"USER ID", "NAME", "PHONE", "ROLE", "STATUS", "SALES UNITS"}, func(u users.User) []string {
					return []string{u.UserID, u.Name, u.PhoneNumber, string(u.Role), string(u.Status), accessText(u.SalesUnits)}
				})
			}),
		a.verb("get ID", "Show a portal user and its access", "  portalctl users get admin",
			cobra.ExactArgs(1), false, func(ctx context.Context, c *portal.Client, args []string) error {
				return a.show(c.Users.Get(ctx, args[0]))
			}),
		a.inviteCmd(),
		a.grantCmd(),
		a.verb("revoke USER MSN", "Remove all of a user's permissions on a sales unit",
			"  portalctl users revoke 5b1e0c7a-3f1d-4c8e-9a2b-6d7e8f9a0b1c 123456",
			cobra.ExactArgs(2), false, func(ctx context.Context, c *portal.Client, args []string) error {
				if err := c.Users.Revoke(ctx, args[0], args[1]); err != nil {
					return err
				}
				return a.done(map[string]any{"userId": args[0], "msn": args[1], "revoked": true},
					"Revoked the access of "+args[0]+" to "+args[1]+".")
			}),
		a.verb("remove USER", "Remove a portal user, its grants and its API client",
			"  portalctl users remove 5b1e0c7a-3f1d-4c8e-9a2b-6d7e8f9a0b1c",
			cobra.ExactArgs(1), false, func(ctx context.Context, c *portal.Client, args []string) error {
				if err := c.Users.Remove(ctx, args[0]); err != nil {
					return err
				}
				return a.done(map[string]any{"userId": args[0], "removed": true}, "Removed user "+args[0]+".")
			}),
	)
}

func (a *app) inviteCmd() *cobra.Command {
	var req users.InviteRequest
	var role string
	cmd := a.verb("invite", "Invite a person as a portal user of the merchant",
		"  portalctl users invite --name 'Ola Nordmann' --phone +4791234567 --role SALES_UNIT_MANAGER",
		cobra.NoArgs, false, func(ctx context.Context, c *portal.Client, _ []string) error {
			req.Role = users.Role(role)
			return a.show(c.Users.Invite(ctx, req))
		})
	f := cmd.Flags()
	f.StringVar(&req.Name, "name", "", "the person's name, 1-100 characters (required)")
	f.StringVar(&req.PhoneNumber, "phone", "", "the person's phone number in E.164 form, such as +4791234567 (required)")
	f.StringVar(&role, "role", "", "ADMINISTRATOR, SALES_UNIT_MANAGER or ASSISTANT (required)")
	for _, name := range []string{"name", "phone", "role"} {
		_ = cmd.MarkFlagRequired(name)
	}
	_ = cmd.RegisterFlagCompletionFunc("role", completeWith(string(users.RoleAdministrator),
		string(users.RoleSalesUnitManager), string(users.RoleAssistant)))
	return cmd
}

func (a *app) grantCmd() *cobra.Command {
	cmd := a.verb("grant USER MSN PERMISSION...", "Set a user's permissions on a sales unit (DEVELOPER, TRANSACTION_MANAGEMENT)",
		"  portalctl users grant 5b1e0c7a-3f1d-4c8e-9a2b-6d7e8f9a0b1c 123456 DEVELOPER TRANSACTION_MANAGEMENT",
		cobra.MinimumNArgs(3), false, func(ctx context.Context, c *portal.Client, args []string) error {
			perms := make([]users.Permission, 0, len(args)-2)
			for _, p := range args[2:] {
				perms = append(perms, users.Permission(p))
			}
			return a.show(c.Users.Grant(ctx, args[0], args[1], perms...))
		})
	cmd.ValidArgsFunction = func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) >= 2 {
			return permissionNames, cobra.ShellCompDirectiveNoFileComp
		}
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return cmd
}

// accessText is a user's access in one cell: 123456:DEVELOPER,TRANSACTION_MANAGEMENT.
func accessText(access []users.SalesUnitAccess) string {
	var parts []string
	for _, a := range access {
		perms := make([]string, len(a.Permissions))
		for i, p := range a.Permissions {
			perms[i] = string(p)
		}
		parts = append(parts, a.MSN+":"+strings.Join(perms, ","))
	}
	return orDash(strings.Join(parts, " "))
}
