package core_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/internal/core"
	"github.com/vippsportal/sdk/vipps"
)

func TestUnsupportedWithoutRequest(t *testing.T) {
	mock, _ := newMock(t)
	mock.RegisterNoResponder(httpmock.NewStringResponder(200, `{}`))
	hc := &http.Client{Transport: mock}

	test := newClient(t, mockBase, hc, func(c *core.Config) { c.ManagementAvailable = false; c.Environment = "test" })
	_, err := test.Do(t.Context(), getReq(), nil)
	var ue *vipps.UnsupportedError
	require.ErrorAs(t, err, &ue)
	assert.ErrorIs(t, err, vipps.ErrUnsupported)
	assert.Equal(t, "getThing", ue.Operation)
	_, err = test.Token(t.Context(), core.GroupManagement)
	assert.ErrorIs(t, err, vipps.ErrUnsupported)

	noPortal := newClient(t, mockBase, hc, func(c *core.Config) { c.PortalURL = "" })
	_, err = noPortal.Do(t.Context(), &core.Request{Group: core.GroupPortal, Operation: "listUsers", Method: http.MethodGet, Path: "/portal/v1/users"}, nil)
	require.ErrorAs(t, err, &ue)
	assert.ErrorIs(t, err, vipps.ErrUnsupported)
	assert.Contains(t, err.Error(), "listUsers")
	_, err = noPortal.Do(t.Context(), idemPost(), nil)
	assert.ErrorIs(t, err, vipps.ErrUnsupported)

	assert.Zero(t, mock.GetTotalCallCount(), "no request of any kind, token included")
}

func TestConfigURLs(t *testing.T) {
	ok := []string{"https://api.vipps.no", "https://api.vipps.no/", "http://localhost:8080", "http://127.0.0.1:1234", "http://[::1]:9", "http://LOCALHOST"}
	for _, u := range ok {
		_, err := core.New(core.Config{BaseURL: u, Credentials: testCreds()})
		assert.NoError(t, err, u)
	}
	bad := []string{"http://api.vipps.no", "http://10.0.0.1", "http://localhost.evil.com", "ftp://api.vipps.no", "api.vipps.no", "", "https://user:pw@api.vipps.no", "https://api.vipps.no/?q=1", "https://api.vipps.no/#f"}
	for _, u := range bad {
		_, err := core.New(core.Config{BaseURL: u, Credentials: testCreds()})
		var ve *vipps.ValidationError
		require.ErrorAs(t, err, &ve, u)
		assert.Equal(t, "BaseURL", ve.Field)
	}
	_, err := core.New(core.Config{BaseURL: "https://api.vipps.no", PortalURL: "http://portal.example.com", Credentials: testCreds()})
	var ve *vipps.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "PortalURL", ve.Field)

	_, err = core.New(core.Config{BaseURL: "http://gateway.internal", PortalURL: "http://portal.internal", AllowInsecureHTTP: true, Credentials: testCreds()})
	assert.NoError(t, err, "allowed on purpose")

	u, err := core.CheckURL("BaseURL", "https://api.vipps.no///", false)
	require.NoError(t, err)
	assert.Equal(t, "https://api.vipps.no", u)
}

func TestSystemHeadersBounded(t *testing.T) {
	long := strings.Repeat("a", 31)
	for field, sys := range map[string]core.SystemInfo{
		"System.Name":          {Name: long},
		"System.Version":       {Version: long},
		"System.PluginName":    {PluginName: long},
		"System.PluginVersion": {PluginVersion: long},
	} {
		_, err := core.New(core.Config{BaseURL: "https://api.vipps.no", Credentials: testCreds(), System: sys})
		var ve *vipps.ValidationError
		require.ErrorAs(t, err, &ve, field)
		assert.Equal(t, field, ve.Field)
		assert.Contains(t, ve.Reason, "30")
	}
	_, err := core.New(core.Config{BaseURL: "https://api.vipps.no", Credentials: testCreds(),
		System: core.SystemInfo{Name: strings.Repeat("a", 30), Version: strings.Repeat("ø", 30)}})
	assert.NoError(t, err, "30 characters (not bytes) is the limit")
	_, err = core.New(core.Config{BaseURL: "https://api.vipps.no", Credentials: testCreds(), System: core.SystemInfo{Name: "a\r\nX-Evil: 1"}})
	assert.ErrorIs(t, err, vipps.ErrInvalidInput)
}

func TestConfigOther(t *testing.T) {
	_, err := core.New(core.Config{BaseURL: "https://api.vipps.no", Credentials: vipps.Credentials{MSN: "12ab"}})
	assert.ErrorIs(t, err, vipps.ErrInvalidInput)
	_, err = core.New(core.Config{BaseURL: "https://api.vipps.no", Credentials: testCreds(), Retry: vipps.RetryPolicy{MaxAttempts: -1}})
	assert.ErrorIs(t, err, vipps.ErrInvalidInput)
	c, err := core.New(core.Config{BaseURL: "https://api.vipps.no", Environment: "production", Credentials: testCreds()})
	require.NoError(t, err)
	assert.Equal(t, vipps.TestURL, c.TokenURL("test"))
	assert.Equal(t, vipps.ProductionURL, c.TokenURL("production"))
	custom, err := core.New(core.Config{BaseURL: "http://127.0.0.1:9", Credentials: testCreds()})
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:9", custom.TokenURL("test"))
}

func TestPathEscapesSegments(t *testing.T) {
	assert.Equal(t, "/portal/v1/users/a%2Fb%3F..%20c", core.Path("/portal/v1/users/%s", "a/b?.. c"))
	assert.Equal(t, "/x/..%2F..", core.Path("/x/%s", "../.."))
}
