package core_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/internal/core"
	"github.com/vippsportal/sdk/vipps"
)

var listWebhooks = &core.Request{Group: core.GroupWebhooks, Operation: "getAllWebhooks", Method: http.MethodGet, Path: "/webhooks/v1/webhooks"}

// The Webhooks API runs on the base URL in production and in the test
// environment alike: a client without the Management API and without a portal
// URL reaches it, with its token from the base URL.
func TestWebhooksGroupUsesTheBaseURLWithoutManagementOrPortal(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"webhooks":[]}`)
	})
	c := newClient(t, srv.URL, httpClient(t), func(cfg *core.Config) {
		cfg.ManagementAvailable, cfg.PortalURL, cfg.Environment = false, "", vipps.Test
	})
	var out struct {
		Webhooks []any `json:"webhooks"`
	}
	_, err := c.Do(t.Context(), listWebhooks, &out)
	require.NoError(t, err)
	reqs := srv.requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, "/accesstoken/get", reqs[0].Path)
	assert.Equal(t, "/webhooks/v1/webhooks", reqs[1].Path)
	assert.Equal(t, testSubKey, reqs[1].Header.Get("Ocp-Apim-Subscription-Key"))
}

// Management keys get 403 at Vipps on the Webhooks API: the core refuses the
// call before any request, token included.
func TestWebhooksGroupRefusesTheSpecializedFlowWithoutARequest(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	c := newClient(t, srv.URL, httpClient(t), func(cfg *core.Config) { cfg.Credentials = managementCreds() })
	_, err := c.Do(t.Context(), listWebhooks, nil)
	var ue *vipps.UnsupportedError
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, "getAllWebhooks", ue.Operation)
	assert.Contains(t, err.Error(), "Webhooks API")
	assert.Empty(t, srv.requests())
}

func TestMSNIsWithMSNsElseTheKeySets(t *testing.T) {
	c := newClient(t, mockBase, httpClient(t))
	assert.Equal(t, testMSN, c.MSN(t.Context()))
	assert.Equal(t, "654321", c.MSN(core.WithMSN(t.Context(), "654321")))
	partner := newClient(t, mockBase, httpClient(t), func(cfg *core.Config) { cfg.Credentials.MSN = "" })
	assert.Empty(t, partner.MSN(t.Context()), "a partner without an MSN acts partner-wide")
	var none *core.Client
	assert.Empty(t, none.MSN(t.Context()))
}
