package users_test

import (
	"context"
	"testing"

	"github.com/vippsportal/sdk/internal/sdktest"
	"github.com/vippsportal/sdk/users"
)

// A Users service that portal.New did not build (a zero value, a nil pointer)
// fails every call with an *vipps.UnsupportedError saying to use portal.New,
// without a panic.
func TestServiceNotBuiltByNewFailsClearly(t *testing.T) {
	var zero users.Service
	for name, s := range map[string]*users.Service{"zero": &zero, "nil": nil} {
		calls := map[string]func(context.Context) error{
			"Me": func(ctx context.Context) error { _, err := s.Me(ctx); return err },
			"Invite": func(ctx context.Context) error {
				_, err := s.Invite(ctx, users.InviteRequest{PhoneNumber: "+4790000001", Name: "Nora", Role: users.RoleAssistant})
				return err
			},
			"Get":  func(ctx context.Context) error { _, err := s.Get(ctx, "ada"); return err },
			"List": func(ctx context.Context) error { _, err := s.List(ctx, nil); return err },
			"Grant": func(ctx context.Context) error {
				_, err := s.Grant(ctx, "ada", "123456", users.PermissionDeveloper)
				return err
			},
			"Revoke": func(ctx context.Context) error { return s.Revoke(ctx, "ada", "123456") },
			"Remove": func(ctx context.Context) error { return s.Remove(ctx, "ada") },
			"All": func(ctx context.Context) error {
				for _, err := range s.All(ctx, nil) {
					return err
				}
				return nil
			},
		}
		for op, call := range calls {
			t.Run(name+" "+op, func(t *testing.T) { sdktest.RequireNotBuilt(t, call) })
		}
	}
}
