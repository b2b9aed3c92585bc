package portal_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/salesunit"
	"github.com/vippsportal/sdk/users"
	"github.com/vippsportal/sdk/vipps"
)

// Bad input across every service is refused before anything is sent (not even
// a token request), with a *vipps.ValidationError that names the field.
func TestBadInputIsRefusedBeforeAnyRequest(t *testing.T) {
	mock := httpmock.NewMockTransport() // no responders: any request would be an error of another kind
	c, err := portal.New(
		portal.WithCredentials(vipps.Credentials{ClientID: "id", ClientSecret: vipps.Secret("secret"), SubscriptionKey: vipps.Secret("key")}),
		portal.WithPortalURL("https://portal.example"),
		portal.WithHTTPClient(&http.Client{Transport: mock}),
	)
	require.NoError(t, err)

	acme := vipps.BusinessIdentifier{Scheme: "business:NO:ORG", ID: "987654325"}
	goodSet := &keys.Set{MSN: "123456", Environment: "production", ClientID: "cid", ClientSecret: "s",
		SubscriptionKeyPrimary: "p", SubscriptionKeySecondary: "q"}
	store := func(context.Context, keys.Set, keys.Name) error { return nil }
	name51 := strings.Repeat("n", 51)

	cases := []struct {
		name  string
		field string
		call  func(ctx context.Context) error
	}{
		{"sales unit msn too short", "msn", func(ctx context.Context) error { _, err := c.SalesUnits.Get(ctx, "123"); return err }},
		{"sales unit msn too long", "msn", func(ctx context.Context) error { _, err := c.SalesUnits.Get(ctx, "12345678901"); return err }},
		{"sales unit msn not digits", "msn", func(ctx context.Context) error { _, err := c.SalesUnits.Get(ctx, "12a456"); return err }},
		{"sales unit msn path traversal", "msn", func(ctx context.Context) error { _, err := c.SalesUnits.Get(ctx, "../1234"); return err }},
		{"merchant scheme empty", "Scheme", func(ctx context.Context) error {
			_, err := c.Merchants.Get(ctx, vipps.BusinessIdentifier{ID: "987654325"})
			return err
		}},
		{"merchant id empty", "ID", func(ctx context.Context) error {
			_, err := c.Merchants.SalesUnits(ctx, vipps.BusinessIdentifier{Scheme: "business:NO:ORG"})
			return err
		}},
		{"prefill without product type", "ProductType", func(ctx context.Context) error {
			_, err := c.ProductOrders.Prefill(ctx, salesunit.ProductOrderRequest{BusinessIdentifier: acme})
			return err
		}},
		{"prefill unknown product type", "ProductType", func(ctx context.Context) error {
			_, err := c.ProductOrders.Prefill(ctx, salesunit.ProductOrderRequest{BusinessIdentifier: acme, ProductType: "TOASTER"})
			return err
		}},
		{"prefill without merchant", "BusinessIdentifier", func(ctx context.Context) error {
			_, err := c.ProductOrders.Prefill(ctx, salesunit.ProductOrderRequest{ProductType: salesunit.ProductPaymentIntegration})
			return err
		}},
		{"product order id not a UUID", "productOrderID", func(ctx context.Context) error { _, err := c.ProductOrders.Get(ctx, "order-1"); return err }},
		{"delete order id empty", "productOrderID", func(ctx context.Context) error { return c.ProductOrders.Delete(ctx, "") }},
		{"wait order id not a UUID", "productOrderID", func(ctx context.Context) error {
			_, err := c.ProductOrders.WaitUntilCompleted(ctx, "x", nil)
			return err
		}},
		{"test unit name empty", "Name", func(ctx context.Context) error {
			_, err := c.TestUnits.Create(ctx, salesunit.TestUnitRequest{})
			return err
		}},
		{"test unit name space-padded", "Name", func(ctx context.Context) error {
			_, err := c.TestUnits.Create(ctx, salesunit.TestUnitRequest{Name: " Dev shop"})
			return err
		}},
		{"test unit name trailing space", "Name", func(ctx context.Context) error {
			_, err := c.TestUnits.Create(ctx, salesunit.TestUnitRequest{Name: "Dev shop\u00a0"})
			return err
		}},
		{"test unit name over 50", "Name", func(ctx context.Context) error {
			_, err := c.TestUnits.Create(ctx, salesunit.TestUnitRequest{Name: name51})
			return err
		}},
		{"test unit name control character", "Name", func(ctx context.Context) error {
			_, err := c.TestUnits.Create(ctx, salesunit.TestUnitRequest{Name: "Dev\x07shop"})
			return err
		}},
		{"test unit partner over 50", "Partner", func(ctx context.Context) error {
			_, err := c.TestUnits.Create(ctx, salesunit.TestUnitRequest{Name: "Dev shop", Partner: name51})
			return err
		}},
		{"test unit msn", "msn", func(ctx context.Context) error { _, err := c.TestUnits.Get(ctx, "1"); return err }},
		{"test unit page size over 100", "PageSize", func(ctx context.Context) error {
			_, err := c.TestUnits.List(ctx, &vipps.ListOptions{PageSize: 101})
			return err
		}},
		{"creation id not a UUID", "creationID", func(ctx context.Context) error { _, err := c.TestUnits.Creation(ctx, "abc"); return err }},
		{"creations unknown status", "CreationListOptions.Status", func(ctx context.Context) error {
			_, err := c.TestUnits.Creations(ctx, &salesunit.CreationListOptions{Status: "DONE"})
			return err
		}},
		{"wait creation id empty", "creationID", func(ctx context.Context) error { _, err := c.TestUnits.WaitUntilReady(ctx, "", nil); return err }},
		{"keys msn", "msn", func(ctx context.Context) error { _, err := c.Keys.Get(ctx, "12 456"); return err }},
		{"regenerate unknown key name", "name", func(ctx context.Context) error {
			_, err := c.Keys.Regenerate(ctx, "123456", keys.Name("password"))
			return err
		}},
		{"regenerate msn", "msn", func(ctx context.Context) error { _, err := c.Keys.Regenerate(ctx, "", keys.ClientSecret); return err }},
		{"verify set without client secret", "ClientSecret", func(ctx context.Context) error {
			s := *goodSet
			s.ClientSecret = ""
			_, err := c.Keys.Verify(ctx, s)
			return err
		}},
		{"rotate without store", "Store", func(ctx context.Context) error {
			_, err := c.Keys.Rotate(ctx, "123456", keys.RotateOptions{ClientSecret: true, Current: goodSet, Strategy: keys.DrainStrategy{}})
			return err
		}},
		{"rotate subscription keys without in-use key", "InUse", func(ctx context.Context) error {
			_, err := c.Keys.Rotate(ctx, "123456", keys.RotateOptions{SubscriptionKeys: true, Current: goodSet, Store: store, Strategy: keys.DrainStrategy{}})
			return err
		}},
		{"invite phone not E.164", "PhoneNumber", func(ctx context.Context) error {
			_, err := c.Users.Invite(ctx, users.InviteRequest{PhoneNumber: "91234567", Name: "Ada", Role: users.RoleAssistant})
			return err
		}},
		{"invite phone with letters", "PhoneNumber", func(ctx context.Context) error {
			_, err := c.Users.Invite(ctx, users.InviteRequest{PhoneNumber: "+47912345ab", Name: "Ada", Role: users.RoleAssistant})
			return err
		}},
		{"invite name empty", "Name", func(ctx context.Context) error {
			_, err := c.Users.Invite(ctx, users.InviteRequest{PhoneNumber: "+4791234567", Role: users.RoleAssistant})
			return err
		}},
		{"invite unknown role", "Role", func(ctx context.Context) error {
			_, err := c.Users.Invite(ctx, users.InviteRequest{PhoneNumber: "+4791234567", Name: "Ada", Role: "OWNER"})
			return err
		}},
		{"grant empty permission set", "permissions", func(ctx context.Context) error { _, err := c.Users.Grant(ctx, "u1", "123456"); return err }},
		{"grant unknown permission", "permissions", func(ctx context.Context) error {
			_, err := c.Users.Grant(ctx, "u1", "123456", users.Permission("ROOT"))
			return err
		}},
		{"grant duplicate permission", "permissions", func(ctx context.Context) error {
			_, err := c.Users.Grant(ctx, "u1", "123456", users.PermissionDeveloper, users.PermissionDeveloper)
			return err
		}},
		{"grant msn", "msn", func(ctx context.Context) error {
			_, err := c.Users.Grant(ctx, "u1", "12", users.PermissionDeveloper)
			return err
		}},
		{"revoke empty user id", "userID", func(ctx context.Context) error { return c.Users.Revoke(ctx, "", "123456") }},
		{"user id with an escape (path traversal)", "userID", func(ctx context.Context) error {
			_, err := c.Users.Get(ctx, "..%2F..%2Fmanagement")
			return err
		}},
		{"merchant scheme with an escape", "Scheme", func(ctx context.Context) error {
			_, err := c.Merchants.Get(ctx, vipps.BusinessIdentifier{Scheme: "business%2FNO%2FORG", ID: "987654325"})
			return err
		}},
		{"remove user id over 64", "userID", func(ctx context.Context) error { return c.Users.Remove(ctx, strings.Repeat("u", 65)) }},
		{"get user id dot-dot", "userID", func(ctx context.Context) error { _, err := c.Users.Get(ctx, ".."); return err }},
		{"grant user id dot-dot", "userID", func(ctx context.Context) error {
			_, err := c.Users.Grant(ctx, "..", "123456", users.PermissionDeveloper)
			return err
		}},
		{"get user id dot", "userID", func(ctx context.Context) error { _, err := c.Users.Get(ctx, "."); return err }},
		{"grant user id dot", "userID", func(ctx context.Context) error {
			_, err := c.Users.Grant(ctx, ".", "123456", users.PermissionDeveloper)
			return err
		}},
		{"get user id slash", "userID", func(ctx context.Context) error { _, err := c.Users.Get(ctx, "a/b"); return err }},
		{"grant user id slash", "userID", func(ctx context.Context) error {
			_, err := c.Users.Grant(ctx, "a/b", "123456", users.PermissionDeveloper)
			return err
		}},
		{"get user id backslash", "userID", func(ctx context.Context) error { _, err := c.Users.Get(ctx, `a\\b`); return err }},
		{"grant user id backslash", "userID", func(ctx context.Context) error {
			_, err := c.Users.Grant(ctx, `a\\b`, "123456", users.PermissionDeveloper)
			return err
		}},
		{"get user id CRLF", "userID", func(ctx context.Context) error { _, err := c.Users.Get(ctx, "a\r\nb"); return err }},
		{"grant user id CRLF", "userID", func(ctx context.Context) error {
			_, err := c.Users.Grant(ctx, "a\r\nb", "123456", users.PermissionDeveloper)
			return err
		}},
		{"get user id NUL", "userID", func(ctx context.Context) error { _, err := c.Users.Get(ctx, "a\x00b"); return err }},
		{"grant user id NUL", "userID", func(ctx context.Context) error {
			_, err := c.Users.Grant(ctx, "a\x00b", "123456", users.PermissionDeveloper)
			return err
		}},
		{"get user id invalid UTF-8", "userID", func(ctx context.Context) error { _, err := c.Users.Get(ctx, "a\xffb"); return err }},
		{"grant user id invalid UTF-8", "userID", func(ctx context.Context) error {
			_, err := c.Users.Grant(ctx, "a\xffb", "123456", users.PermissionDeveloper)
			return err
		}},
		{"merchant scheme traversal", "Scheme", func(ctx context.Context) error {
			_, err := c.Merchants.Get(ctx, vipps.BusinessIdentifier{Scheme: "../../x/abcdef", ID: "987654325"})
			return err
		}},
		{"merchant scheme control character", "Scheme", func(ctx context.Context) error {
			_, err := c.Merchants.SalesUnits(ctx, vipps.BusinessIdentifier{Scheme: "business:NO\r\nORG", ID: "987654325"})
			return err
		}},
		{"prefill scheme with a slash", "Scheme", func(ctx context.Context) error {
			_, err := c.ProductOrders.Prefill(ctx, salesunit.ProductOrderRequest{BusinessIdentifier: vipps.BusinessIdentifier{Scheme: "business/NO/ORG", ID: "987654325"}})
			return err
		}},
		{"users page size negative", "PageSize", func(ctx context.Context) error {
			_, err := c.Users.List(ctx, &vipps.ListOptions{PageSize: -1})
			return err
		}},
		{"caller idempotency key malformed", "Idempotency-Key", func(ctx context.Context) error {
			_, err := c.TestUnits.Create(portal.WithIdempotencyKey(ctx, "not a key!"), salesunit.TestUnitRequest{Name: "Dev shop"})
			return err
		}},
	}
	require.GreaterOrEqual(t, len(cases), 30)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(t.Context())
			require.Error(t, err)
			assert.ErrorIs(t, err, vipps.ErrInvalidInput)
			var ve *vipps.ValidationError
			require.True(t, errors.As(err, &ve), "%T: %v", err, err)
			assert.Contains(t, ve.Field, tc.field, "the error names the field: %v", err)
			assert.Contains(t, err.Error(), ve.Field)
		})
	}
	assert.Zero(t, mock.GetTotalCallCount(), "no request was sent for any bad input")
}
