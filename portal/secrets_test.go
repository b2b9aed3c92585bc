package portal_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/internal/core"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/vipps"
)

// syncBuffer is a log sink safe for the concurrent writes of a test server and client.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var secretValues = []string{clientSecret, subKey, accessToken}

func assertNoSecret(t *testing.T, what, out string) {
	t.Helper()
	for _, v := range secretValues {
		for _, form := range []string{v, fmt.Sprintf("%x", v), fmt.Sprintf("%X", v)} {
			assert.NotContains(t, out, form, "%s reveals a secret", what)
		}
	}
}

// formatAll prints v every way a program might: fmt verbs, JSON, slog text and JSON.
func formatAll(t *testing.T, name string, v any) {
	t.Helper()
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X"} {
		assertNoSecret(t, name+" "+verb, fmt.Sprintf(verb, v))
	}
	assertNoSecret(t, name+" Sprint", fmt.Sprint(v))
	if b, err := json.Marshal(v); err == nil {
		assertNoSecret(t, name+" json", string(b))
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "v", v, slog.Any("any", v))
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "v", v, slog.Any("any", v))
	assertNoSecret(t, name+" slog", buf.String())
}

func TestSecretsNeverShown(t *testing.T) {
	pc := creds()
	formatAll(t, "vipps.Credentials", pc)
	formatAll(t, "*vipps.Credentials", &pc)
	formatAll(t, "vipps.Secret", pc.ClientSecret)
	cc := vipps.Credentials{ClientID: pc.ClientID, ClientSecret: pc.ClientSecret, SubscriptionKey: pc.SubscriptionKey}
	formatAll(t, "vipps.Credentials", cc)
	assert.Equal(t, clientSecret, pc.ClientSecret.Reveal())
	assert.Equal(t, subKey, pc.SubscriptionKey.Reveal())

	// A real client, logging at debug level, against a server that echoes every
	// secret it received in its error answers, with retries.
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	textLogs := &syncBuffer{}
	both := slog.New(multiHandler{logger.Handler(), slog.NewTextHandler(textLogs, &slog.HandlerOptions{Level: slog.LevelDebug})})
	s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		echo := fmt.Sprintf("you sent key %s and %s", r.Header.Get("Ocp-Apim-Subscription-Key"), r.Header.Get("Authorization"))
		switch r.URL.Path {
		case "/management/v1/problem":
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(503)
			_ = json.NewEncoder(w).Encode(map[string]any{"type": "https://x/problems/unavailable", "status": 503, "title": echo, "detail": echo + " secret " + clientSecret})
		case "/management/v1/html":
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(502)
			_, _ = fmt.Fprintf(w, "<html><body>%s %s</body></html>", echo, clientSecret)
		case "/management/v1/gateway":
			w.WriteHeader(401)
			_, _ = fmt.Fprintf(w, `{"statusCode":401,"message":%q}`, echo)
		}
	})
	c, err := portal.New(portal.WithCredentials(pc), portal.WithBaseURL(s.URL), portal.WithHTTPClient(hc(t)),
		portal.WithLogger(both), portal.WithRetry(fast))
	require.NoError(t, err)
	for _, path := range []string{"/management/v1/problem", "/management/v1/html", "/management/v1/gateway"} {
		_, err := portal.CoreOf(c).Do(t.Context(), &core.Request{Group: core.GroupManagement, Operation: "op", Method: http.MethodGet, Path: path}, nil)
		var pe *vipps.Error
		require.ErrorAs(t, err, &pe, path)
		assert.Contains(t, err.Error(), "[REDACTED]", "the echo was there and was redacted: %s", path)
		formatAll(t, "*vipps.Error "+path, pe)
		formatAll(t, "error "+path, err)
		both.Debug("call failed", "err", err, "error", pe)
	}
	assert.GreaterOrEqual(t, s.api.Load(), int32(7), "retries happened (3+3+1)")
	out := logs.String() + textLogs.String()
	assert.Contains(t, out, `"attempt":3`, "the SDK logged its attempts at debug level")
	assert.Contains(t, out, "vipps request")
	assertNoSecret(t, "debug logs", out)
}

// Core bug (reported): DecodeError redacts Title, Detail and Body, but not
// Instance, ExtraDetails, Type or an OAuth "error" code, so a server that echoes
// a credential there puts it in the *Error (and in %+v, JSON and logs of it).
func TestSecretEchoedInOtherProblemFieldsRedacted(t *testing.T) {
	s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(400)
		_ = json.NewEncoder(w).Encode(map[string]any{"type": "https://x/problems/invalid-request", "status": 400, "title": "Bad",
			"instance":     "/management/v1/x?key=" + r.Header.Get("Ocp-Apim-Subscription-Key"),
			"extraDetails": []map[string]string{{"key": "Authorization", "value": r.Header.Get("Authorization")}}})
	})
	c, err := portal.New(portal.WithCredentials(creds()), portal.WithBaseURL(s.URL), portal.WithHTTPClient(hc(t)))
	require.NoError(t, err)
	_, err = portal.CoreOf(c).Do(t.Context(), mgmtGet(), nil)
	var pe *vipps.Error
	require.ErrorAs(t, err, &pe)
	formatAll(t, "*vipps.Error", pe)
}

// multiHandler sends each record to every handler.
type multiHandler []slog.Handler

func (m multiHandler) Enabled(ctx context.Context, l slog.Level) bool { return m[0].Enabled(ctx, l) }
func (m multiHandler) Handle(ctx context.Context, r slog.Record) error {
	for _, h := range m {
		_ = h.Handle(ctx, r.Clone())
	}
	return nil
}
func (m multiHandler) WithAttrs(as []slog.Attr) slog.Handler {
	out := make(multiHandler, len(m))
	for i, h := range m {
		out[i] = h.WithAttrs(as)
	}
	return out
}
func (m multiHandler) WithGroup(g string) slog.Handler {
	out := make(multiHandler, len(m))
	for i, h := range m {
		out[i] = h.WithGroup(g)
	}
	return out
}
