package portal_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/vipps"
)

// 100 short-lived clients, each Closed, leave no connection goroutines behind
// (the server's own are ignored; its listener stays up so nothing closes the
// connections for us).
func TestShortLivedClientsClosedLeaveNoGoroutines(t *testing.T) {
	before := goleak.IgnoreCurrent()
	s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, `{}`) })
	for range 100 {
		c, err := portal.New(portal.WithCredentials(creds()), portal.WithBaseURL(s.URL), portal.WithPortalURL(s.URL))
		require.NoError(t, err)
		_, err = portal.CoreOf(c).Do(t.Context(), mgmtGet(), nil)
		require.NoError(t, err)
		require.NoError(t, c.Close())
		require.NoError(t, c.Close(), "Close twice is fine")
	}
	goleak.VerifyNone(t, before,
		goleak.IgnoreAnyFunction("net/http.(*conn).serve"), goleak.IgnoreAnyFunction("net/http/httptest.(*Server).goServe.func1"))
}

func TestExplicitEmptyURLsAreErrors(t *testing.T) {
	for field, opt := range map[string]portal.Option{"BaseURL": portal.WithBaseURL(""), "PortalURL": portal.WithPortalURL("")} {
		_, err := portal.New(portal.WithCredentials(creds()), opt)
		var ve *vipps.ValidationError
		require.ErrorAs(t, err, &ve, field)
		assert.Equal(t, field, ve.Field)
	}
}
