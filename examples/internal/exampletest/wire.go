package exampletest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/vippsportal/sdk/portal/portaltest"
)

// Wire is an HTTP transport that notes every secret crossing it: the
// credential headers sent and the secret fields of every JSON answer (key
// sets, tokens, a webhook registration's secret). So a test knows values no
// state holds any more (a rotated-away secret, every token, a webhook secret,
// which the simulator shows once), and can check that none was printed.
type Wire struct {
	next   *http.Transport
	mu     sync.Mutex
	values map[string]bool
	fields map[string]int // answers that carried each secret field
}

// NewWire returns a Wire over a transport of its own; close it with Close.
func NewWire() *Wire {
	return &Wire{next: http.DefaultTransport.(*http.Transport).Clone(), values: map[string]bool{}, fields: map[string]int{}}
}

// Client is an HTTP client that sends through w (for portal.WithHTTPClient).
func (w *Wire) Client() *http.Client { return &http.Client{Transport: w} }

// Close releases the transport's idle connections.
func (w *Wire) Close() { w.next.CloseIdleConnections() }

var secretHeaders = []string{"client_secret", "Ocp-Apim-Subscription-Key", "Authorization"}
var secretFields = []string{"clientSecret", "subscriptionKeyPrimary", "subscriptionKeySecondary", "access_token", "secret"}

// Add notes a secret (a "Bearer " prefix is dropped; "" is ignored).
func (w *Wire) Add(v string) {
	v = strings.TrimPrefix(v, "Bearer ")
	if v == "" {
		return
	}
	w.mu.Lock()
	w.values[v] = true
	w.mu.Unlock()
}

// AddState notes every key of the simulator's state: units', users' and partners'.
func (w *Wire) AddState(st portaltest.State) {
	for _, u := range st.SalesUnits {
		w.Add(u.Keys.ClientSecret)
		w.Add(u.Keys.SubscriptionKeyPrimary)
		w.Add(u.Keys.SubscriptionKeySecondary)
	}
	for _, u := range st.Users {
		w.Add(u.APIClient.ClientSecret.Reveal())
		w.Add(u.APIClient.SubscriptionKey.Reveal())
	}
	for _, p := range st.Partners {
		w.Add(p.APIClient.ClientSecret.Reveal())
		w.Add(p.APIClient.SubscriptionKey.Reveal())
	}
}

// RoundTrip sends r, noting the secrets of its headers and of the answer.
func (w *Wire) RoundTrip(r *http.Request) (*http.Response, error) {
	for _, h := range secretHeaders {
		for _, v := range r.Header.Values(h) {
			w.Add(v)
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
				w.Add(s)
				w.mu.Lock()
				w.fields[f]++
				w.mu.Unlock()
			}
		}
	}
	return resp, nil
}

// Count is how many secrets w has noted.
func (w *Wire) Count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.values)
}

// Answers is how many answers carried the secret field f ("secret", "access_token").
func (w *Wire) Answers(f string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.fields[f]
}

// NotIn checks that text holds none of the secrets w noted (of 4 characters
// or more), naming a secret found by its number and length, never its value.
func (w *Wire) NotIn(t testing.TB, text string) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	i := 0
	for v := range w.values {
		i++
		if len(v) >= 4 && strings.Contains(text, v) {
			t.Errorf("secret %d of the run (%d characters) was printed", i, len(v))
		}
	}
}
