package main

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/examples/internal/exampletest"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/vipps"
)

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
			wire := exampletest.NewWire()
			defer wire.Close()
			wire.AddState(s.State())

			var buf bytes.Buffer // the handlers and this test write it from one goroutine at a time
			var mu sync.Mutex
			lw := writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return buf.Write(p) })
			opts := &slog.HandlerOptions{Level: slog.LevelDebug}
			logger := slog.New(slog.NewMultiHandler(slog.NewTextHandler(lw, opts), slog.NewJSONHandler(lw, opts)))

			c, err := s.Client(s.UserCredentials(portaltest.AdminUserID),
				portal.WithSystem("quickstart", vipps.Version, "", ""),
				portal.WithHTTPClient(wire.Client()), portal.WithLogger(logger),
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
			wire.AddState(s.State())

			mu.Lock()
			text := buf.String()
			mu.Unlock()
			assert.Contains(t, text, `msg="vipps request"`, "the text handler logged the requests")
			assert.Contains(t, text, `"msg":"vipps request"`, "the JSON handler logged the requests")
			assert.Positive(t, s.FaultsInjected(), "the faults were hit")
			assert.Greater(t, wire.Count(), 10, "the run's secrets were collected")
			wire.NotIn(t, text)
		})
	}
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
