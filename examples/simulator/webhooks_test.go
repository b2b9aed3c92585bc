package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/portal/portaltest"
)

// unitToken gets a token for the printed unit block's keys.
func unitToken(t *testing.T, st *started) (token, subKey string) {
	t.Helper()
	vars := evalInShell(t, st.blocks["unit"])
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, st.url+"/accesstoken/get", nil)
	require.NoError(t, err)
	req.Header.Set("client_id", vars["VIPPS_CLIENT_ID"])
	req.Header.Set("client_secret", vars["VIPPS_CLIENT_SECRET"])
	req.Header.Set("Ocp-Apim-Subscription-Key", vars["VIPPS_SUBSCRIPTION_KEY"])
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	require.Equal(t, http.StatusOK, do(t, req, &tok))
	return tok.AccessToken, vars["VIPPS_SUBSCRIPTION_KEY"]
}

func do(t *testing.T, req *http.Request, into any) int {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if into != nil && resp.StatusCode < 300 {
		require.NoError(t, json.Unmarshal(raw, into), "%s", raw)
	}
	return resp.StatusCode
}

func register(t *testing.T, st *started, token, subKey, url string) int {
	t.Helper()
	body := `{"url":"` + url + `","events":["epayments.payment.captured.v1"]}`
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, st.url+"/webhooks/v1/webhooks", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Ocp-Apim-Subscription-Key", subKey)
	req.Header.Set("Content-Type", "application/json")
	return do(t, req, nil)
}

// With -local-webhooks a receiver on this machine registers over http, and
// POST /_simulator/notifications sends it a notification.
func TestNotificationsReachALocalReceiver(t *testing.T) {
	got := make(chan []byte, 1)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("x-ms-content-sha256") != "" && strings.HasPrefix(r.Header.Get("Authorization"), "HMAC-SHA256 ") {
			got <- body
		}
	}))
	defer recv.Close()
	st := start(t, 4, "-local-webhooks")
	token, subKey := unitToken(t, st)
	require.Equal(t, http.StatusCreated, register(t, st, token, subKey, recv.URL+"/hooks"))

	payload := `{"msn":"` + portaltest.ProductionMSN + `","reference":"order-1","name":"CAPTURED"}`
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, st.url+portaltest.NotifyPath,
		bytes.NewReader([]byte(`{"msn":"`+portaltest.ProductionMSN+`","event":"epayments.payment.captured.v1","payload":`+payload+`}`)))
	require.NoError(t, err)
	var answer struct {
		Registrations int `json:"registrations"`
	}
	require.Equal(t, http.StatusAccepted, do(t, req, &answer))
	assert.Equal(t, 1, answer.Registrations)
	select {
	case body := <-got: // the simulator's delivery goroutine made the attempt
		assert.JSONEq(t, payload, string(body))
	case <-time.After(10 * time.Second): // a bound on a broken run, not a wait
		t.Fatal("no notification arrived")
	}
	http.DefaultClient.CloseIdleConnections()
	require.Equal(t, 0, st.stop())
}

// Without -local-webhooks, as at Vipps, a loopback http URL is refused.
func TestLoopbackWebhooksNeedTheFlag(t *testing.T) {
	st := start(t, 4)
	token, subKey := unitToken(t, st)
	assert.Equal(t, http.StatusBadRequest, register(t, st, token, subKey, "http://127.0.0.1:9/hooks"))
	assert.Equal(t, http.StatusCreated, register(t, st, token, subKey, "https://hooks.example.com/vipps"))
	http.DefaultClient.CloseIdleConnections()
	require.Equal(t, 0, st.stop())
}
