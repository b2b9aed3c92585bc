// Package sdktest is the one home of the helpers the SDK's own tests share, so
// that salesunit, keys and users do not each carry a copy. Only _test.go files
// import it (like internal/contracttest): it depends on portal and
// portal/portaltest, which is why it must never be imported by the SDK itself
// (portal's TestPublicPackagesDoNotDependOnTestHelpers checks that).
//
// One way of faking HTTP per kind of test:
//   - behaviour (the contract's rules, errors, retries, lost answers): the
//     simulator, NewSim and SimClient;
//   - the exact wire (method, path, query, headers, body of one request):
//     an httpmock transport, NewMock.
package sdktest

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/vipps"
)

// ---- behaviour: the simulator ----

// NewSim starts the simulator with opts, closed when the test ends.
func NewSim(t testing.TB, opts ...portaltest.Option) *portaltest.Server {
	t.Helper()
	s := portaltest.NewServer(opts...)
	t.Cleanup(s.Close)
	return s
}

// FastRetry keeps the retries of a test quick (backoff 1-5 ms) without
// changing how many attempts are made.
func FastRetry() portal.Option {
	return portal.WithRetry(vipps.RetryPolicy{MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond})
}

// SimClient is an SDK client aimed at s with creds and quick retries; opts
// are applied after those.
func SimClient(t testing.TB, s *portaltest.Server, creds vipps.Credentials, opts ...portal.Option) *portal.Client {
	t.Helper()
	c, err := s.Client(creds, append([]portal.Option{FastRetry()}, opts...)...)
	require.NoError(t, err)
	return c
}

// ---- the exact wire: httpmock ----

// Values of the mocked API. BaseURL never resolves: every request goes
// through the test's own httpmock transport.
const (
	BaseURL = "https://vipps.test"
	Token   = "tok-0123456789"
	SubKey  = "sub-0123456789abcdef"
	System  = "acme-backend"
	SysVer  = "2.1.0"
)

// NewMock returns a client aimed at BaseURL (base and portal URL) whose
// requests go through a fresh httpmock transport, which already answers the
// token endpoint with Token; tests register the operation under test on the
// transport. opts are applied last.
func NewMock(t testing.TB, opts ...portal.Option) (*portal.Client, *httpmock.MockTransport) {
	t.Helper()
	mock := httpmock.NewMockTransport()
	mock.RegisterResponder(http.MethodPost, BaseURL+"/accesstoken/get", httpmock.NewStringResponder(http.StatusOK,
		`{"token_type":"Bearer","expires_in":"3600","ext_expires_in":"0","expires_on":"0","not_before":"0","resource":"x","access_token":"`+Token+`"}`))
	all := append([]portal.Option{
		portal.WithCredentials(vipps.Credentials{ClientID: "client-1", ClientSecret: "secret-1", SubscriptionKey: SubKey}),
		portal.WithBaseURL(BaseURL), portal.WithPortalURL(BaseURL),
		portal.WithSystem(System, SysVer, "", ""),
		portal.WithHTTPClient(&http.Client{Transport: mock}),
		portal.WithRetry(vipps.RetryPolicy{MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}),
	}, opts...)
	c, err := portal.New(all...)
	require.NoError(t, err)
	return c, mock
}

// AssertCommonHeaders checks what every request of a NewMock client carries
// besides the token request: the bearer token, the subscription key, the
// User-Agent and the Vipps-System headers.
func AssertCommonHeaders(t testing.TB, h http.Header) {
	t.Helper()
	assert.Equal(t, "Bearer "+Token, h.Get("Authorization"))
	assert.Equal(t, SubKey, h.Get("Ocp-Apim-Subscription-Key"))
	assert.Equal(t, "vippsportal-sdk-go/"+vipps.Version, h.Get("User-Agent"))
	assert.Equal(t, System, h.Get("Vipps-System-Name"))
	assert.Equal(t, SysVer, h.Get("Vipps-System-Version"))
}

// Answer is an httpmock response with status, Content-Type (none when "")
// and body, and extra header pairs (name, value, ...).
func Answer(status int, contentType, body string, header ...string) *http.Response {
	resp := httpmock.NewStringResponse(status, body)
	if contentType != "" {
		resp.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		resp.Header.Set(header[i], header[i+1])
	}
	return resp
}

// Problem is a contract Problem body.
func Problem(status int, name, detail string) string {
	b, _ := json.Marshal(map[string]any{"type": "https://portal-sdk.invalid/problems/" + name,
		"title": name, "status": status, "detail": detail, "instance": "/x"})
	return string(b)
}

// ---- errors ----

// RequireAPIError asserts err holds a *vipps.Error with status and problem
// name, matching sentinel when it is not nil, and returns it.
func RequireAPIError(t testing.TB, err error, status int, problemName string, sentinel error) *vipps.Error {
	t.Helper()
	var apiErr *vipps.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, status, apiErr.StatusCode)
	assert.Equal(t, problemName, apiErr.Problem)
	if sentinel != nil {
		assert.ErrorIs(t, err, sentinel)
	}
	return apiErr
}

// RequireInvalid asserts err is a *vipps.ValidationError naming field.
func RequireInvalid(t testing.TB, err error, field string) {
	t.Helper()
	var ve *vipps.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, field, ve.Field)
	assert.ErrorIs(t, err, vipps.ErrInvalidInput)
}

// RequireNotBuilt runs call (a method of a service that portal.New did not
// build: a zero value or a nil pointer) and asserts it fails, without a
// panic, with the *vipps.UnsupportedError that says to use portal.New.
func RequireNotBuilt(t *testing.T, call func(ctx context.Context) error) {
	t.Helper()
	var err error
	require.NotPanics(t, func() { err = call(t.Context()) })
	var ue *vipps.UnsupportedError
	require.ErrorAs(t, err, &ue)
	assert.ErrorIs(t, err, vipps.ErrUnsupported)
	assert.Contains(t, err.Error(), "use the services of a client from portal.New")
}
