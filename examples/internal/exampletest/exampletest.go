// Package exampletest holds what the examples' tests share: their TestMain
// (Main), a run of an example (Run, and FromEnv against VIPPS_* variables),
// a simulator starter that keeps the server (Recorder), the VIPPS_* variables
// set or cleared for one test (Use, Clear), the checks every example must
// pass (Help, BadFlags, Refuses), a transport that notes every secret of a
// run so a test can check none was printed (Wire), and a stdout that lets a
// test act at a given line (Lines).
package exampletest

import (
	"bytes"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.uber.org/goleak"

	"github.com/vippsportal/sdk/examples/internal/exampleenv"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/vipps"
)

// Main is the TestMain of an example's tests: it runs them and fails if one
// leaves a goroutine running (a server, a receiver, a poller).
func Main(m *testing.M) { goleak.VerifyTestMain(m) }

// Run runs the example with args, starting the simulator with sim, and
// returns the exit code and what it printed (which the test's log shows).
func Run(t *testing.T, run exampleenv.Run, sim exampleenv.Sim, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(t.Context(), args, &out, &errOut, sim)
	t.Log("\n" + out.String() + errOut.String())
	return code, out.String(), errOut.String()
}

// BadFlags checks that the example refuses each command line of cases (its
// words separated by spaces) with exit code 2 and the message it maps to on
// stderr, printing nothing on stdout and starting nothing.
func BadFlags(t *testing.T, run exampleenv.Run, cases map[string]string) {
	for _, line := range slices.Sorted(maps.Keys(cases)) {
		t.Run(line, func(t *testing.T) {
			Clear(t)
			var sim Recorder
			code, stdout, stderr := Run(t, run, &sim, strings.Fields(line)...)
			assert.Equal(t, 2, code)
			assert.Contains(t, stderr, cases[line])
			assert.Empty(t, stdout)
			assert.Zero(t, sim.Started, "nothing started")
		})
	}
}

// Recorder is the exampleenv.Sim an example's test passes to run: it starts
// the simulator with the example's options followed by Extra (which win: no
// delays, say), and keeps it so the test can drive and inspect it. The
// example's client there gets ClientExtra after its own options (a transport
// that watches its traffic, say).
type Recorder struct {
	Extra       []portaltest.Option
	ClientExtra []portal.Option
	// OnStart, when set, is called with each server started, before the
	// example uses it (to make its next creation fail, say).
	OnStart func(*portaltest.Server)
	Server  *portaltest.Server // the last one started
	Started int
}

// NewServer starts a simulator and records it.
func (r *Recorder) NewServer(opts ...portaltest.Option) *portaltest.Server {
	r.Started++
	r.Server = portaltest.NewServer(append(slices.Clone(opts), r.Extra...)...)
	if r.OnStart != nil {
		r.OnStart(r.Server)
	}
	return r.Server
}

// ClientOptions returns ClientExtra.
func (r *Recorder) ClientOptions() []portal.Option { return r.ClientExtra }

// NoDelays is a Recorder whose simulator completes a creation at its first
// read and issues keys at once.
func NoDelays() *Recorder {
	return &Recorder{Extra: []portaltest.Option{portaltest.WithProvisioningDelay(0), portaltest.WithKeysDelay(0)}}
}

// Clear sets every connection variable to "" for the test (restored after
// it): the example then runs on the simulator whatever the machine holds.
func Clear(t testing.TB) {
	for _, v := range exampleenv.Vars {
		t.Setenv(v, "")
	}
}

// Use points the VIPPS_* variables at s with credentials c for the test:
// client id, secret, subscription key (if any), and s as base and portal URL.
func Use(t testing.TB, s *portaltest.Server, c vipps.Credentials) {
	Clear(t)
	t.Setenv(portal.EnvClientID, c.ClientID)
	t.Setenv(portal.EnvClientSecret, c.ClientSecret.Reveal())
	t.Setenv(portal.EnvSubscriptionKey, c.SubscriptionKey.Reveal())
	t.Setenv(portal.EnvBaseURL, s.URL)
	t.Setenv(portal.EnvPortalURL, s.URL)
}

// Help checks that -h and -help print "usage: name [flags]" with each of
// flags ("-n int") on stdout, exit 0, and start nothing.
func Help(t *testing.T, run exampleenv.Run, name string, flags ...string) {
	for _, h := range []string{"-h", "-help"} {
		t.Run(h, func(t *testing.T) {
			var sim Recorder
			var stdout, stderr bytes.Buffer
			assert.Equal(t, 0, run(t.Context(), []string{h}, &stdout, &stderr, &sim))
			out := stdout.String()
			assert.True(t, strings.HasPrefix(out, "usage: "+name+" [flags]\n"), out)
			for _, f := range flags {
				assert.Contains(t, out, "\n  "+f)
			}
			assert.Contains(t, out, portal.EnvClientID, "the usage says how to connect")
			assert.Empty(t, stderr.String())
			assert.Zero(t, sim.Started, "nothing ran")
		})
	}
}

// Refuses checks that with only env set, run exits 2 naming the missing
// variables as want ("VIPPS_CLIENT_SECRET, VIPPS_SUBSCRIPTION_KEY not set"),
// prints no value, and starts no simulator in their place.
func Refuses(t *testing.T, run exampleenv.Run, name string, env map[string]string, want string) {
	Clear(t)
	for k, v := range env {
		t.Setenv(k, v)
	}
	var sim Recorder
	var stdout, stderr bytes.Buffer
	assert.Equal(t, 2, run(t.Context(), nil, &stdout, &stderr, &sim))
	assert.Zero(t, sim.Started, "no simulator in their place")
	assert.True(t, strings.HasPrefix(stderr.String(), name+": "+want), stderr.String())
	for k, v := range env {
		if k == portal.EnvClientSecret || k == portal.EnvSubscriptionKey {
			assert.NotContains(t, stderr.String(), v, "no secret in the message")
		}
	}
	assert.Empty(t, stdout.String())
}

// FromEnv runs the example with args and the VIPPS_* variables aimed at a
// simulator of the test's own (started with opts), with the keys of as (see
// Use). It checks that the example started no simulator in its place and
// printed no secret of those keys, and returns that server (closed when the
// test ends), the exit code and what the example printed.
func FromEnv(t *testing.T, run exampleenv.Run, as exampleenv.Principal, args []string, opts ...portaltest.Option) (s *portaltest.Server, code int, stdout, stderr string) {
	t.Helper()
	s = portaltest.NewServer(opts...)
	t.Cleanup(s.Close)
	keys := as(s)
	Use(t, s, keys)
	var sim Recorder
	var out, errOut bytes.Buffer
	code = run(t.Context(), args, &out, &errOut, &sim)
	t.Log("\n" + out.String() + errOut.String())
	assert.Zero(t, sim.Started, "the configured server is used, no simulator of the example's own")
	for _, secret := range []vipps.Secret{keys.ClientSecret, keys.SubscriptionKey} {
		if secret != "" {
			assert.NotContains(t, out.String()+errOut.String(), secret.Reveal(), "no secret of the keys is printed")
		}
	}
	return s, code, out.String(), errOut.String()
}
