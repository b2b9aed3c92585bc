package soak

import (
	"bytes"
	"context"
	"flag"
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

// The soak's size: the defaults are the short soak CI runs.
var (
	workers     = flag.Int("soak.workers", 4, "concurrent workers")
	ops         = flag.Int("soak.ops", 600, "operations in all")
	faultRate   = flag.Float64("soak.fault-rate", 0.15, "share of requests to fault (about)")
	seed        = flag.Int64("soak.seed", 7, "seed of the workers' choices and of the simulator's fault probabilities")
	callTimeout = flag.Duration("soak.call-timeout", 2*time.Second, "deadline of each SDK call")
)

// TestSoak runs the soak (by default the short one: 4 workers, 600
// operations, 15% of the requests faulted). Nothing may be lost or done twice,
// every failure must be a typed error, and no secret of the run may reach the
// debug log (text and JSON) or the %+v of an error.
func TestSoak(t *testing.T) {
	buf := &lockedBuffer{}
	opts := &slog.HandlerOptions{Level: slog.LevelDebug}
	logger := slog.New(slog.NewMultiHandler(slog.NewTextHandler(buf, opts), slog.NewJSONHandler(buf, opts)))

	cfg := Config{Workers: *workers, Ops: *ops, FaultRate: *faultRate, Seed: *seed,
		CallTimeout: *callTimeout, Logger: logger, ErrLog: buf}
	res, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	t.Log(res.Line())
	for _, f := range res.Findings {
		t.Log(f)
	}
	t.Logf("orphaned=%d untyped=%d secrets=%d elapsed=%s", res.Orphaned, res.Untyped, len(res.Secrets), res.Elapsed.Round(time.Millisecond))

	assert.Equal(t, cfg.Ops, res.Ops)
	assert.Equal(t, res.Ops, res.OK+res.Failed)
	assert.Zero(t, res.Duplicates, "duplicates")
	assert.Zero(t, res.Lost, "lost")
	assert.Zero(t, res.Untyped, "untyped failures")
	if cfg.FaultRate >= 0.10 {
		assert.GreaterOrEqual(t, res.FaultShare(), cfg.FaultRate*2/3, "share of requests faulted")
	}
	assert.Greater(t, res.OK, cfg.Ops*5/6, "the retries carry most calls through")

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
