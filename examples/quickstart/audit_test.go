package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/vipps"
)

// wireSecrets is an HTTP transport that notes every secret crossing the wire:
// the credential headers sent and the secret fields of every JSON answer (key
// sets, tokens), so the audit knows values the state no longer holds (a
// rotated-away client secret, every token).
type wireSecrets struct {
	next   *http.Transport
	mu     sync.Mutex
	values map[string]bool
}

var secretFields = []string{"clientSecret", "subscriptionKeyPrimary", "subscriptionKeySecondary", "access_token"}

func (w *wireSecrets) add(v string) {
	v = strings.TrimPrefix(v, "Bearer ")
	if v == "" {
		return
	}
	w.mu.Lock()
	w.values[v] = true
	w.mu.Unlock()
}

func (w *wireSecrets) RoundTrip(r *http.Request) (*http.Response, error) {
	for _, h := range []string{"client_secret", "Ocp-Apim-Subscription-Key", "Authorization"} {
		for _, v := range r.Header.Values(h) {
			w.add(v)
		}
	}
	resp, err := w.next.RoundTrip(r)
	if err != nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return resp, nil
	}
	var fields map[string]any
	if json.Unmarshal(body, &fields) == nil {
		for _, f := range secretFields {
			if s, ok := fields[f].(string); ok {
				w.add(s)
			}
		}
	}
	return resp, nil
}

func (w *wireSecrets) addState(st portaltest.State) {
	for _, u := range st.SalesUnits {
		w.add(u.Keys.ClientSecret)
		w.add(u.Keys.SubscriptionKeyPrimary)
		w.add(u.Keys.SubscriptionKeySecondary)
	}
	for _, u := range st.Users {
		w.add(u.APIClient.ClientSecret.Reveal())
		w.add(u.APIClient.SubscriptionKey.Reveal())
	}
	for _, p := range st.Partners {
		w.add(p.APIClient.ClientSecret.Reveal())
		w.add(p.APIClient.SubscriptionKey.Reveal())
	}
}

// TestRunLogsNoSecret runs the quickstart with a debug logger (text and JSON
// handlers) and audits everything it wrote: the log, its own output, and the
// %+v of its error. One run succeeds through retried faults, one fails; no
// client secret, subscription key or token of either may appear.
func TestRunLogsNoSecret(t *testing.T) {
	for _, tc := range []struct {
		name    string
		faults  []portaltest.Fault
		wantErr bool
	}{
		{name: "retried faults", faults: []portaltest.Fault{
			{Status: http.StatusServiceUnavailable, Times: 2},
			{Operation: "regenerateKey", DropAfterWork: true},
			{Operation: "getKeys", Status: http.StatusInternalServerError},
		}},
		{name: "failing run", faults: []portaltest.Fault{
			{Operation: "inviteUser", Status: http.StatusInternalServerError, Times: -1},
		}, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := portaltest.NewServer()
			defer s.Close()
			wire := &wireSecrets{next: http.DefaultTransport.(*http.Transport).Clone(), values: map[string]bool{}}
			defer wire.next.CloseIdleConnections()
			wire.addState(s.State())

			var buf bytes.Buffer // the handlers and this test write it from one goroutine at a time
			var mu sync.Mutex
			lw := writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return buf.Write(p) })
			opts := &slog.HandlerOptions{Level: slog.LevelDebug}
			logger := slog.New(slog.NewMultiHandler(slog.NewTextHandler(lw, opts), slog.NewJSONHandler(lw, opts)))

			hc := &http.Client{Transport: wire}
			c, err := s.Client(s.UserCredentials(portaltest.AdminUserID),
				portal.WithSystem("quickstart", vipps.Version, "", ""),
				portal.WithHTTPClient(hc), portal.WithLogger(logger),
				portal.WithRetry(vipps.RetryPolicy{MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond}),
			)
			require.NoError(t, err)
			for _, f := range tc.faults {
				s.InjectFault(f)
			}

			runErr := walk(t.Context(), c, lw)
			if tc.wantErr {
				require.Error(t, runErr)
				fmt.Fprintf(lw, "%+v\n%v\n%#v\n", runErr, runErr, runErr)
			} else {
				require.NoError(t, runErr)
			}
			wire.addState(s.State())

			mu.Lock()
			text := buf.String()
			mu.Unlock()
			assert.Contains(t, text, `msg="vipps request"`, "the text handler logged the requests")
			assert.Contains(t, text, `"msg":"vipps request"`, "the JSON handler logged the requests")
			assert.Positive(t, s.FaultsInjected(), "the faults were hit")
			wire.mu.Lock()
			defer wire.mu.Unlock()
			assert.Greater(t, len(wire.values), 10, "the run's secrets were collected")
			i := 0
			for v := range wire.values {
				i++
				if len(v) >= 4 && strings.Contains(text, v) {
					t.Errorf("secret %d of the run (%d characters) is in the log or output", i, len(v))
				}
			}
		})
	}
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
