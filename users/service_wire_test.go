package users_test

// Exact wire checks against an httpmock transport (sdktest.NewMock): what the SDK sends (method,
// path, query, headers, JSON body) and how it reads what comes back. The
// behaviour against the contract's rules is tested with the simulator in
// service_test.go.

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/internal/sdktest"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/users"
	"github.com/vippsportal/sdk/vipps"
)

const wireIDemKey = "my-key-1"

// captured is one request the wire transport saw (the token request excluded).
type captured struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   string
}

// wire is a fake portal answering every portal request with one canned answer.
type wire struct {
	mu   sync.Mutex
	reqs []captured
}

func (w *wire) last(t *testing.T) captured {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	require.Len(t, w.reqs, 1, "exactly one portal request")
	return w.reqs[0]
}

// newWire returns a client whose every portal request is answered with status
// and body (a Problem's content type from 400 on), sent once.
func newWire(t *testing.T, status int, body string) (*portal.Client, *wire) {
	t.Helper()
	w := &wire{}
	ctype := "application/json"
	if status >= 400 {
		ctype = "application/problem+json"
	}
	c, mock := sdktest.NewMock(t, portal.WithRetry(vipps.RetryPolicy{MaxAttempts: 1}))
	mock.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
		var b []byte
		if r.Body != nil {
			b, _ = io.ReadAll(r.Body)
		}
		w.mu.Lock()
		w.reqs = append(w.reqs, captured{Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: string(b)})
		w.mu.Unlock()
		if status == http.StatusNoContent {
			return sdktest.Answer(status, "", ""), nil
		}
		return sdktest.Answer(status, ctype, body), nil
	})
	return c, w
}

// assertCommonHeaders checks what every portal request carries.
func assertCommonHeaders(t *testing.T, r captured) {
	t.Helper()
	sdktest.AssertCommonHeaders(t, r.Header)
}

const userJSON = `{"userId":"8d2f1f7e-6c8a-4c1e-9a7e-0f9b1b2c3d4e","phoneNumber":"+4790000001","name":"Nora Dev",
 "email":"nora@example.com","role":"SALES_UNIT_MANAGER","status":"INVITED",
 "salesUnits":[{"msn":"123456","permissions":["DEVELOPER","TRANSACTION_MANAGEMENT"],"grantedAt":"2026-01-02T03:04:05Z"}],
 "createdAt":"2026-01-02T03:04:05Z"}`

func TestWireMe(t *testing.T) {
	c, w := newWire(t, 200, `{"userId":"admin","name":"Ada Admin","phoneNumber":"+4791234567","role":"ADMINISTRATOR",
	 "merchant":{"businessIdentifier":{"scheme":"business:NO:ORG","id":"987654325"},"name":"ACME Fantastic Fitness"}}`)
	me, err := c.Users.Me(t.Context())
	require.NoError(t, err)
	r := w.last(t)
	assert.Equal(t, "GET", r.Method)
	assert.Equal(t, "/portal/v1/me", r.Path)
	assert.Empty(t, r.Body)
	assert.Empty(t, r.Header.Get("Idempotency-Key"), "a GET carries no Idempotency-Key")
	assertCommonHeaders(t, r)
	assert.Equal(t, &users.Me{UserID: "admin", Name: "Ada Admin", PhoneNumber: "+4791234567", Role: users.RoleAdministrator,
		Merchant: users.Merchant{BusinessIdentifier: vipps.BusinessIdentifier{Scheme: "business:NO:ORG", ID: "987654325"}, Name: "ACME Fantastic Fitness"}}, me)
}

func TestWireInvite(t *testing.T) {
	c, w := newWire(t, 201, userJSON)
	ctx := portal.WithIdempotencyKey(t.Context(), wireIDemKey)
	u, err := c.Users.Invite(ctx, users.InviteRequest{PhoneNumber: "+4790000001", Name: "Nora Dev", Email: "nora@example.com", Role: users.RoleSalesUnitManager})
	require.NoError(t, err)
	r := w.last(t)
	assert.Equal(t, "POST", r.Method)
	assert.Equal(t, "/portal/v1/users", r.Path)
	assert.Equal(t, wireIDemKey, r.Header.Get("Idempotency-Key"))
	assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
	assertCommonHeaders(t, r)
	assert.JSONEq(t, `{"phoneNumber":"+4790000001","name":"Nora Dev","email":"nora@example.com","role":"SALES_UNIT_MANAGER"}`, r.Body)

	granted := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	assert.Equal(t, &users.User{UserID: "8d2f1f7e-6c8a-4c1e-9a7e-0f9b1b2c3d4e", PhoneNumber: "+4790000001", Name: "Nora Dev",
		Email: "nora@example.com", Role: users.RoleSalesUnitManager, Status: users.StatusInvited,
		SalesUnits: []users.SalesUnitAccess{{MSN: "123456", Permissions: []users.Permission{users.PermissionDeveloper, users.PermissionTransactionManagement}, GrantedAt: granted}},
		CreatedAt:  granted}, u)
	a, ok := u.Access("123456")
	require.True(t, ok)
	assert.True(t, a.Has(users.PermissionDeveloper))
	_, ok = u.Access("999999")
	assert.False(t, ok)
}

func TestWireInviteOmitsEmptyEmailAndGeneratesKey(t *testing.T) {
	c, w := newWire(t, 201, userJSON)
	_, err := c.Users.Invite(t.Context(), users.InviteRequest{PhoneNumber: "+4790000001", Name: "Nora", Role: users.RoleAssistant})
	require.NoError(t, err)
	r := w.last(t)
	assert.JSONEq(t, `{"phoneNumber":"+4790000001","name":"Nora","role":"ASSISTANT"}`, r.Body)
	assert.Regexp(t, `^[a-zA-Z0-9-]{1,50}$`, r.Header.Get("Idempotency-Key"), "every POST carries a generated key")
}

func TestWireGet(t *testing.T) {
	c, w := newWire(t, 200, userJSON)
	u, err := c.Users.Get(t.Context(), "a b?c")
	require.NoError(t, err)
	r := w.last(t)
	assert.Equal(t, "GET", r.Method)
	assert.Equal(t, "/portal/v1/users/a%20b%3Fc", r.Path, "the user id is one escaped path segment")
	assertCommonHeaders(t, r)
	assert.Equal(t, "Nora Dev", u.Name)
}

func TestWireList(t *testing.T) {
	c, w := newWire(t, 200, `{"items":[`+userJSON+`],"nextPageToken":"next-1"}`)
	p, err := c.Users.List(t.Context(), &vipps.ListOptions{PageSize: 7, PageToken: "tok 1"})
	require.NoError(t, err)
	r := w.last(t)
	assert.Equal(t, "GET", r.Method)
	assert.Equal(t, "/portal/v1/users", r.Path)
	assert.Equal(t, "pageSize=7&pageToken=tok+1", r.RawQuery)
	assertCommonHeaders(t, r)
	require.Len(t, p.Items, 1)
	assert.Equal(t, "next-1", p.NextPageToken)
}

func TestWireListNilOptionsSendsNoQuery(t *testing.T) {
	c, w := newWire(t, 200, `{"items":[]}`)
	p, err := c.Users.List(t.Context(), nil)
	require.NoError(t, err)
	assert.Empty(t, w.last(t).RawQuery)
	assert.Empty(t, p.Items)
	assert.Empty(t, p.NextPageToken)
}

func TestWireGrant(t *testing.T) {
	c, w := newWire(t, 200, `{"msn":"123456","permissions":["TRANSACTION_MANAGEMENT","DEVELOPER"],"grantedAt":"2026-01-02T03:04:05Z"}`)
	a, err := c.Users.Grant(t.Context(), "u-1", "123456", users.PermissionTransactionManagement, users.PermissionDeveloper)
	require.NoError(t, err)
	r := w.last(t)
	assert.Equal(t, "PUT", r.Method)
	assert.Equal(t, "/portal/v1/users/u-1/sales-units/123456", r.Path)
	assert.JSONEq(t, `{"permissions":["TRANSACTION_MANAGEMENT","DEVELOPER"]}`, r.Body)
	assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
	assert.Empty(t, r.Header.Get("Idempotency-Key"), "a PUT is idempotent by itself")
	assertCommonHeaders(t, r)
	assert.Equal(t, &users.SalesUnitAccess{MSN: "123456", Permissions: []users.Permission{users.PermissionTransactionManagement, users.PermissionDeveloper},
		GrantedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}, a)
}

func TestWireRevoke(t *testing.T) {
	c, w := newWire(t, 204, "")
	require.NoError(t, c.Users.Revoke(t.Context(), "u-1", "123456"))
	r := w.last(t)
	assert.Equal(t, "DELETE", r.Method)
	assert.Equal(t, "/portal/v1/users/u-1/sales-units/123456", r.Path)
	assert.Empty(t, r.Body)
	assertCommonHeaders(t, r)
}

func TestWireRemove(t *testing.T) {
	c, w := newWire(t, 204, "")
	require.NoError(t, c.Users.Remove(t.Context(), "u-1"))
	r := w.last(t)
	assert.Equal(t, "DELETE", r.Method)
	assert.Equal(t, "/portal/v1/users/u-1", r.Path)
	assertCommonHeaders(t, r)
}

func TestWireProblemIsDecoded(t *testing.T) {
	c, _ := newWire(t, 409, `{"type":"https://portal-sdk.invalid/problems/user-exists","title":"User exists","status":409,
	 "detail":"+4791234567 is already a user of this merchant","instance":"/portal/v1/users"}`)
	_, err := c.Users.Invite(t.Context(), users.InviteRequest{PhoneNumber: "+4791234567", Name: "Ada", Role: users.RoleAdministrator})
	require.ErrorIs(t, err, vipps.ErrConflict)
	var pe *vipps.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, vipps.ProblemUserExists, pe.Problem)
	assert.Equal(t, "POST", pe.Method)
	assert.Equal(t, "/portal/v1/users", pe.Path)
}

// TestValidationSendsNothing: every bad input is refused with a
// *ValidationError naming the field, before any request (the mock transport
// has no responder, and counts every call).
func TestValidationSendsNothing(t *testing.T) {
	mock := httpmock.NewMockTransport()
	c, err := portal.New(
		portal.WithCredentials(vipps.Credentials{ClientID: "c", ClientSecret: "s", SubscriptionKey: "k"}),
		portal.WithBaseURL("https://portal.example"), portal.WithPortalURL("https://portal.example"),
		portal.WithHTTPClient(&http.Client{Transport: mock}),
	)
	require.NoError(t, err)
	ok := func() *users.InviteRequest {
		return &users.InviteRequest{PhoneNumber: "+4790000001", Name: "Nora", Role: users.RoleAssistant}
	}
	with := func(f func(r *users.InviteRequest)) users.InviteRequest { r := ok(); f(r); return *r }
	ctx := t.Context()
	long64 := strings.Repeat("u", 64)

	cases := []struct {
		name  string
		field string
		call  func() error
	}{
		{"phone without +", "InviteRequest.PhoneNumber", func() error {
			_, err := c.Users.Invite(ctx, with(func(r *users.InviteRequest) { r.PhoneNumber = "4790000001" }))
			return err
		}},
		{"phone with space", "InviteRequest.PhoneNumber", func() error {
			_, err := c.Users.Invite(ctx, with(func(r *users.InviteRequest) { r.PhoneNumber = "+47 90000001" }))
			return err
		}},
		{"phone leading 0", "InviteRequest.PhoneNumber", func() error {
			_, err := c.Users.Invite(ctx, with(func(r *users.InviteRequest) { r.PhoneNumber = "+0790000001" }))
			return err
		}},
		{"phone too long", "InviteRequest.PhoneNumber", func() error {
			_, err := c.Users.Invite(ctx, with(func(r *users.InviteRequest) { r.PhoneNumber = "+4790000001234567" }))
			return err
		}},
		{"empty name", "InviteRequest.Name", func() error {
			_, err := c.Users.Invite(ctx, with(func(r *users.InviteRequest) { r.Name = "" }))
			return err
		}},
		{"name over 100", "InviteRequest.Name", func() error {
			_, err := c.Users.Invite(ctx, with(func(r *users.InviteRequest) { r.Name = strings.Repeat("å", 101) }))
			return err
		}},
		{"space-padded name", "InviteRequest.Name", func() error {
			_, err := c.Users.Invite(ctx, with(func(r *users.InviteRequest) { r.Name = " Nora" }))
			return err
		}},
		{"name with trailing no-break space", "InviteRequest.Name", func() error {
			_, err := c.Users.Invite(ctx, with(func(r *users.InviteRequest) { r.Name = "Nora\u00a0" }))
			return err
		}},
		{"email over 254", "InviteRequest.Email", func() error {
			_, err := c.Users.Invite(ctx, with(func(r *users.InviteRequest) { r.Email = strings.Repeat("a", 245) + "@example.com" }))
			return err
		}},
		{"empty role", "InviteRequest.Role", func() error {
			_, err := c.Users.Invite(ctx, with(func(r *users.InviteRequest) { r.Role = "" }))
			return err
		}},
		{"unknown role", "InviteRequest.Role", func() error {
			_, err := c.Users.Invite(ctx, with(func(r *users.InviteRequest) { r.Role = "administrator" }))
			return err
		}},
		{"get empty id", "userID", func() error { _, err := c.Users.Get(ctx, ""); return err }},
		{"get id over 64", "userID", func() error { _, err := c.Users.Get(ctx, long64+"x"); return err }},
		{"remove empty id", "userID", func() error { return c.Users.Remove(ctx, "") }},
		{"revoke empty id", "userID", func() error { return c.Users.Revoke(ctx, "", "123456") }},
		{"revoke bad msn", "msn", func() error { return c.Users.Revoke(ctx, "u", "12a456") }},
		{"grant empty id", "userID", func() error { _, err := c.Users.Grant(ctx, "", "123456", users.PermissionDeveloper); return err }},
		{"grant id over 64", "userID", func() error {
			_, err := c.Users.Grant(ctx, long64+"x", "123456", users.PermissionDeveloper)
			return err
		}},
		{"grant short msn", "msn", func() error { _, err := c.Users.Grant(ctx, "u", "123", users.PermissionDeveloper); return err }},
		{"grant long msn", "msn", func() error {
			_, err := c.Users.Grant(ctx, "u", "12345678901", users.PermissionDeveloper)
			return err
		}},
		{"grant no permissions", "permissions", func() error { _, err := c.Users.Grant(ctx, "u", "123456"); return err }},
		{"grant unknown permission", "permissions", func() error { _, err := c.Users.Grant(ctx, "u", "123456", "ADMIN"); return err }},
		{"grant duplicate permission", "permissions", func() error {
			_, err := c.Users.Grant(ctx, "u", "123456", users.PermissionDeveloper, users.PermissionDeveloper)
			return err
		}},
		{"list page size over 100", "ListOptions.PageSize", func() error {
			_, err := c.Users.List(ctx, &vipps.ListOptions{PageSize: 101})
			return err
		}},
		{"list negative page size", "ListOptions.PageSize", func() error {
			_, err := c.Users.List(ctx, &vipps.ListOptions{PageSize: -1})
			return err
		}},
		{"all page size over 100", "ListOptions.PageSize", func() error {
			var last error
			n := 0
			for _, err := range c.Users.All(ctx, &vipps.ListOptions{PageSize: 101}) {
				last = err
				n++
			}
			if n != 1 {
				return errors.New("All yielded more than the one error")
			}
			return last
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			require.ErrorIs(t, err, vipps.ErrInvalidInput)
			var ve *vipps.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tc.field, ve.Field)
			assert.Contains(t, err.Error(), tc.field)
		})
	}
	assert.Zero(t, mock.NumResponders())
	assert.Zero(t, mock.GetTotalCallCount(), "no request may be sent for bad input")

	// The limits themselves are accepted: 64-character id, 100-character name, 254-character email.
	_, err = c.Users.Invite(ctx, with(func(r *users.InviteRequest) {
		r.Name = strings.Repeat("å", 100)
		r.Email = strings.Repeat("a", 242) + "@example.com"
	}))
	var ve *vipps.ValidationError
	assert.False(t, errors.As(err, &ve), "limits are allowed: %v", err)
	_, err = c.Users.Get(ctx, long64)
	assert.False(t, errors.As(err, &ve), "a 64-character id is allowed: %v", err)
}
