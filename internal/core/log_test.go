package core_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/internal/core"
	"github.com/vippsportal/sdk/vipps"
)

// callLines are the "vipps call" events of a JSON log.
func callLines(t *testing.T, log *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(log.Bytes()))
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m))
		if m["msg"] == "vipps call" {
			out = append(out, m)
		}
	}
	return out
}

// With a logger, every call ends with exactly one debug event that names the
// operation, the status, the attempts, the time it took and the server's
// request id, and the error of a failed call; never a secret.
func TestEveryCallEndsWithOneDebugLine(t *testing.T) {
	var flaky atomic.Int32
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/management/v1/things/1":
			w.Header().Set("X-Request-Id", "req-ok-1")
			_, _ = io.WriteString(w, `{"id":"t1"}`)
		case "/management/v1/things/flaky":
			if flaky.Add(1) == 1 {
				w.Header().Set("X-Request-Id", "req-flaky-1")
				writeProblem(w, 503, "unavailable", "busy")
				return
			}
			w.Header().Set("X-Request-Id", "req-flaky-2")
			_, _ = io.WriteString(w, `{"id":"t1"}`)
		default:
			w.Header().Set("Vipps-Request-Id", "req-404")
			writeProblem(w, 404, "not-found", "no such thing")
		}
	})
	var log bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := newClient(t, s.URL, httpClient(t), func(cfg *core.Config) { cfg.Logger = logger })
	get := func(path string) *core.Request {
		return &core.Request{Group: core.GroupManagement, Operation: "getThing", Method: http.MethodGet, Path: path}
	}
	_, err := c.Do(t.Context(), get("/management/v1/things/1"), nil)
	require.NoError(t, err)
	_, err = c.Do(t.Context(), get("/management/v1/things/404"), nil)
	require.ErrorIs(t, err, vipps.ErrNotFound)
	_, err = c.Do(t.Context(), get("/management/v1/things/flaky"), nil)
	require.NoError(t, err)
	_, err = c.FetchToken(t.Context(), testCreds(), s.URL)
	require.NoError(t, err)

	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "req-token-refused")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":"invalid_client","error_description":"bad secret `+testClientSecret+`"}`)
	}))
	t.Cleanup(refusing.Close)
	refused := newClient(t, refusing.URL, httpClient(t), func(cfg *core.Config) { cfg.Logger = logger })
	_, err = refused.Do(t.Context(), get("/management/v1/things/1"), nil)
	require.ErrorIs(t, err, vipps.ErrUnauthorized)

	lines := callLines(t, &log)
	require.Len(t, lines, 5, "one line per call, the token fetches inside calls are not calls")
	want := []struct {
		op, path, requestID, err string
		status, attempts         float64
	}{
		{"getThing", "/management/v1/things/1", "req-ok-1", "", 200, 1},
		{"getThing", "/management/v1/things/404", "req-404", "404 not-found: no such thing", 404, 1},
		{"getThing", "/management/v1/things/flaky", "req-flaky-2", "", 200, 2},
		{"fetchAuthorizationTokenUsingPost", "/accesstoken/get", "", "", 200, 1},
		{"getThing", "/management/v1/things/1", "req-token-refused", "(fetchAuthorizationTokenUsingPost): 401 invalid_client", 401, 1},
	}
	for i, w := range want {
		l := lines[i]
		assert.Equal(t, "DEBUG", l["level"])
		assert.Equal(t, w.op, l["operation"], "line %d", i)
		assert.Equal(t, w.path, l["path"], "line %d", i)
		assert.Equal(t, w.status, l["status"], "line %d", i)
		assert.Equal(t, w.attempts, l["attempts"], "line %d", i)
		assert.Equal(t, w.requestID, l["request_id"], "line %d", i)
		assert.Contains(t, l, "elapsed", "line %d", i)
		if w.err == "" {
			assert.NotContains(t, l, "error", "line %d", i)
		} else {
			assert.Contains(t, l["error"], w.err, "line %d", i)
		}
	}
	for _, secret := range []string{testClientSecret, testSubKey, testAccessToken} {
		assert.NotContains(t, log.String(), secret)
	}

	// Without debug events, nothing.
	log.Reset()
	quiet := newClient(t, s.URL, httpClient(t), func(cfg *core.Config) {
		cfg.Logger = slog.New(slog.NewJSONHandler(&log, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	_, err = quiet.Do(t.Context(), get("/management/v1/things/1"), nil)
	require.NoError(t, err)
	assert.Empty(t, log.String())
}
