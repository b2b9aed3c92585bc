package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// lockedBuffer is one buffer for two slog handlers and the error log.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestShortSoak is the soak in small: 4 workers, 600 operations, 15% of the
// requests faulted. Nothing may be lost or done twice, every failure must be a
// typed error, and no secret of the run may reach the debug log (text and JSON)
// or the %+v of an error.
func TestShortSoak(t *testing.T) {
	buf := &lockedBuffer{}
	opts := &slog.HandlerOptions{Level: slog.LevelDebug}
	logger := slog.New(slog.NewMultiHandler(slog.NewTextHandler(buf, opts), slog.NewJSONHandler(buf, opts)))

	res, err := Run(context.Background(), Config{Workers: 4, Ops: 600, FaultRate: 0.15, Seed: 7,
		CallTimeout: 2 * time.Second, Logger: logger, ErrLog: buf})
	require.NoError(t, err)
	t.Log(res.Line())
	for _, f := range res.Findings {
		t.Log(f)
	}

	assert.Equal(t, 600, res.Ops)
	assert.Equal(t, res.Ops, res.OK+res.Failed)
	assert.Zero(t, res.Duplicates, "duplicates")
	assert.Zero(t, res.Lost, "lost")
	assert.Zero(t, res.Untyped, "untyped failures")
	assert.GreaterOrEqual(t, res.FaultShare(), 0.10, "share of requests faulted")
	assert.Greater(t, res.OK, 500, "the retries carry most calls through")

	logText := buf.String()
	require.Contains(t, logText, `msg="vipps request"`, "the text handler logged")
	require.Contains(t, logText, `"msg":"vipps request"`, "the JSON handler logged")
	if res.Failed > 0 {
		require.Contains(t, logText, "vipps: ", "the errors were written too")
	}
	require.Greater(t, len(res.Secrets), 20, "the run's secrets: seeded keys, API clients, regenerated keys, tokens")
	for i, s := range res.Secrets {
		if strings.Contains(logText, s) {
			t.Errorf("secret %d of the run (%d characters) is in the log", i, len(s))
		}
	}
}

func TestLineFormat(t *testing.T) {
	r := &Result{Requests: 200, Faults: 25, Ops: 150, OK: 140, Failed: 10}
	assert.Equal(t, "requests=200 faults=25 (12.5%) ops=150 ok=140 failed=10 duplicates=0 lost=0", r.Line())
	assert.True(t, r.Passed())
	r.Lost = 1
	assert.False(t, r.Passed())
	r.Lost, r.Untyped = 0, 1
	assert.False(t, r.Passed(), "an untyped failure fails the soak")
}
