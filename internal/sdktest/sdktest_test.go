package sdktest_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/vippsportal/sdk/internal/sdktest"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/vipps"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// A NewMock client sends what AssertCommonHeaders expects, and an answer
// built with Answer and Problem decodes into the *vipps.Error RequireAPIError expects.
func TestMockClientAndErrorHelpers(t *testing.T) {
	c, mock := sdktest.NewMock(t)
	mock.RegisterResponder(http.MethodGet, sdktest.BaseURL+"/portal/v1/me", func(r *http.Request) (*http.Response, error) {
		sdktest.AssertCommonHeaders(t, r.Header)
		return sdktest.Answer(http.StatusForbidden, "application/problem+json", sdktest.Problem(403, "administrator-required", "no"), "Retry-After", "1"), nil
	})
	_, err := c.Users.Me(t.Context())
	pe := sdktest.RequireAPIError(t, err, http.StatusForbidden, "administrator-required", vipps.ErrForbidden)
	assert.Equal(t, "no", pe.Detail)
	assert.Equal(t, 1, mock.GetTotalCallCount()-1, "one call besides the token request")

	_, err = c.Keys.Get(t.Context(), "12")
	sdktest.RequireInvalid(t, err, "msn")
}

func TestSimClientActsAsTheGivenCredentials(t *testing.T) {
	s := sdktest.NewSim(t)
	c := sdktest.SimClient(t, s, s.UserCredentials(portaltest.AdminUserID))
	me, err := c.Users.Me(t.Context())
	require.NoError(t, err)
	assert.Equal(t, portaltest.AdminUserID, me.UserID)
}
