package keys_test

import (
	"context"
	"testing"

	"github.com/vippsportal/sdk/internal/sdktest"
	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/vipps"
)

// A Keys service that portal.New did not build (a zero value, a nil pointer)
// fails every call with an *vipps.UnsupportedError saying to use portal.New,
// without a panic and without sending anything.
func TestServiceNotBuiltByNewFailsClearly(t *testing.T) {
	set := keys.RevealedSet{MSN: "123456", Environment: vipps.Test, ClientID: "client-1", ClientSecret: "secret-1",
		SubscriptionKeyPrimary: "sub-primary-1", SubscriptionKeySecondary: "sub-secondary-1"}.Set()
	store := func(context.Context, keys.Set, keys.Name) error { return nil }
	var zero keys.Service
	for name, s := range map[string]*keys.Service{"zero": &zero, "nil": nil} {
		calls := map[string]func(context.Context) error{
			"Get":        func(ctx context.Context) error { _, err := s.Get(ctx, "123456"); return err },
			"Regenerate": func(ctx context.Context) error { _, err := s.Regenerate(ctx, "123456", keys.ClientSecret); return err },
			"Verify":     func(ctx context.Context) error { _, err := s.Verify(ctx, set); return err },
			"Rotate": func(ctx context.Context) error {
				_, err := s.Rotate(ctx, "123456", keys.RotateOptions{ClientSecret: true, Current: &set, Store: store, Strategy: keys.DrainStrategy{}})
				return err
			},
		}
		for op, call := range calls {
			t.Run(name+" "+op, func(t *testing.T) { sdktest.RequireNotBuilt(t, call) })
		}
	}
}
