package exampleenv_test

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/vippsportal/sdk/examples/internal/exampleenv"
	"github.com/vippsportal/sdk/examples/internal/exampletest"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/salesunit"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestUseSimulator(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		sim     bool
		missing []string
	}{
		{name: "nothing set", sim: true},
		{name: "set but empty counts as unset", env: map[string]string{portal.EnvClientID: "", portal.EnvBaseURL: ""}, sim: true},
		{name: "standard keys complete", env: map[string]string{portal.EnvClientID: "id", portal.EnvClientSecret: "s", portal.EnvSubscriptionKey: "k"}},
		{name: "URLs alone", env: map[string]string{portal.EnvBaseURL: "http://127.0.0.1:8080", portal.EnvPortalURL: "http://127.0.0.1:8080"},
			missing: []string{portal.EnvClientID, portal.EnvClientSecret, portal.EnvSubscriptionKey}},
		{name: "no subscription key", env: map[string]string{portal.EnvClientID: "id", portal.EnvClientSecret: "s"},
			missing: []string{portal.EnvSubscriptionKey}},
		{name: "MSN alone", env: map[string]string{portal.EnvMSN: "123456"},
			missing: []string{portal.EnvClientID, portal.EnvClientSecret, portal.EnvSubscriptionKey}},
		{name: "environment alone", env: map[string]string{portal.EnvEnvironment: "test"},
			missing: []string{portal.EnvClientID, portal.EnvClientSecret, portal.EnvSubscriptionKey}},
		{name: "specialized flow needs no subscription key", env: map[string]string{portal.EnvTokenFlow: "specialized", portal.EnvClientID: "id", portal.EnvClientSecret: "s"}},
		{name: "specialized flow, any case", env: map[string]string{portal.EnvTokenFlow: " Specialized ", portal.EnvClientID: "id", portal.EnvClientSecret: "s"}},
		{name: "specialized flow without a secret", env: map[string]string{portal.EnvTokenFlow: "specialized", portal.EnvClientID: "id"},
			missing: []string{portal.EnvClientSecret}},
		{name: "standard flow named", env: map[string]string{portal.EnvTokenFlow: "standard", portal.EnvClientID: "id", portal.EnvClientSecret: "s"},
			missing: []string{portal.EnvSubscriptionKey}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim, err := exampleenv.UseSimulator(env(tc.env))
			assert.Equal(t, tc.sim, sim)
			if tc.missing == nil {
				require.NoError(t, err)
				return
			}
			var inc *exampleenv.IncompleteError
			require.ErrorAs(t, err, &inc)
			assert.Equal(t, tc.missing, inc.Missing)
			for _, v := range tc.missing {
				assert.Contains(t, err.Error(), v, "the message names each missing variable")
			}
		})
	}
}

func TestIncompleteErrorNamesNoValue(t *testing.T) {
	_, err := exampleenv.UseSimulator(env(map[string]string{portal.EnvClientID: "my-client", portal.EnvSubscriptionKey: "sub-key-value"}))
	require.Error(t, err)
	assert.Equal(t, "VIPPS_CLIENT_SECRET not set (but VIPPS_CLIENT_ID, VIPPS_SUBSCRIPTION_KEY set): set it too, "+
		"or unset every VIPPS_* variable to run on the embedded simulator", err.Error())
	assert.NotContains(t, err.Error(), "sub-key-value")
}

// TestVarsAreNewFromEnvs: every variable NewFromEnv reads counts as a
// connection variable, so none of them can be half set unnoticed.
func TestVarsAreNewFromEnvs(t *testing.T) {
	for _, v := range []string{portal.EnvClientID, portal.EnvClientSecret, portal.EnvSubscriptionKey, portal.EnvMSN,
		portal.EnvEnvironment, portal.EnvBaseURL, portal.EnvPortalURL, portal.EnvTokenFlow} {
		assert.Contains(t, exampleenv.Vars, v)
	}
}

func TestParse(t *testing.T) {
	newFlags := func() (*flag.FlagSet, *int) {
		fs := exampleenv.Flags("demo", "Demo does a thing.")
		return fs, fs.Int("n", 3, "how many")
	}
	for _, h := range []string{"-h", "-help", "--help"} {
		t.Run(h, func(t *testing.T) {
			fs, _ := newFlags()
			var stdout, stderr bytes.Buffer
			err := exampleenv.Parse(fs, []string{h}, &stdout, &stderr)
			require.ErrorIs(t, err, flag.ErrHelp)
			assert.Equal(t, 0, exampleenv.Exit("demo", err, &stderr))
			assert.Empty(t, stderr.String())
			out := stdout.String()
			assert.True(t, strings.HasPrefix(out, "usage: demo [flags]\n\nDemo does a thing.\n\nflags:\n"), out)
			assert.Contains(t, out, "Demo does a thing.")
			assert.Contains(t, out, "-n int")
			assert.Contains(t, out, "VIPPS_CLIENT_ID")
		})
	}
	t.Run("flags parse", func(t *testing.T) {
		fs, n := newFlags()
		var stdout, stderr bytes.Buffer
		require.NoError(t, exampleenv.Parse(fs, []string{"-n", "5"}, &stdout, &stderr))
		assert.Equal(t, 5, *n)
		assert.Empty(t, stdout.String()+stderr.String())
	})
	for _, args := range [][]string{{"-nope"}, {"-n", "x"}, {"extra"}} {
		t.Run("refused "+args[0], func(t *testing.T) {
			fs, _ := newFlags()
			var stdout, stderr bytes.Buffer
			err := exampleenv.Parse(fs, args, &stdout, &stderr)
			var usage *exampleenv.UsageError
			require.ErrorAs(t, err, &usage)
			assert.Equal(t, 2, exampleenv.Exit("demo", err, &stderr))
			assert.Empty(t, stdout.String())
			assert.Contains(t, stderr.String(), "demo: ")
			assert.Contains(t, stderr.String(), "usage: demo [flags]")
		})
	}
}

func TestExit(t *testing.T) {
	var stderr bytes.Buffer
	assert.Equal(t, 0, exampleenv.Exit("demo", nil, &stderr))
	assert.Equal(t, 1, exampleenv.Exit("demo", errors.New("boom"), &stderr))
	assert.Equal(t, "demo: boom\n", stderr.String())
	stderr.Reset()
	assert.Equal(t, 2, exampleenv.Exit("demo", &exampleenv.IncompleteError{Missing: []string{"VIPPS_CLIENT_ID"}, Set: []string{"VIPPS_MSN"}}, &stderr))
	assert.Contains(t, stderr.String(), "demo: VIPPS_CLIENT_ID not set")
	stderr.Reset()
	assert.Equal(t, 2, exampleenv.Exit("demo", exampleenv.Usagef("-n must be at least 1, got %d", 0), &stderr))
	assert.Equal(t, "demo: -n must be at least 1, got 0\n", stderr.String())
}

// TestConnect: the simulator when nothing is set (started by the given
// NewServer, with the given options), refusal without starting one when the
// environment is half set, and the environment when it is complete.
func TestConnect(t *testing.T) {
	rec := &exampletest.Recorder{Extra: []portaltest.Option{portaltest.WithProvisioningDelay(0)}}
	setup := exampleenv.Setup{
		Name:       "demo",
		NewServer:  rec.NewServer,
		SimOptions: []portaltest.Option{portaltest.WithProvisioningDelay(time.Hour)},
		SimClient: func(s *portaltest.Server, opts ...portal.Option) (*portal.Client, error) {
			return s.Client(s.UserCredentials(portaltest.AdminUserID), opts...)
		},
	}

	t.Run("simulator", func(t *testing.T) {
		exampletest.Clear(t)
		var out bytes.Buffer
		s := setup
		s.Out = &out
		c, err := s.Connect()
		require.NoError(t, err)
		defer c.Close()
		require.Equal(t, 1, rec.Started)
		started := rec.Server
		assert.Same(t, started, c.Sim)
		assert.Contains(t, out.String(), "using the embedded simulator at "+started.URL)
		me, err := c.Users.Me(t.Context())
		require.NoError(t, err)
		assert.Equal(t, portaltest.AdminUserID, me.UserID)
		require.NotEmpty(t, started.RequestsOf("getMe"))
		for _, r := range started.RequestsOf("getMe") {
			assert.Equal(t, "demo", r.Header.Get("Vipps-System-Name"))
		}
		// The example's options come first, the recorder's Extra win: no provisioning delay.
		cr, err := c.TestUnits.Create(t.Context(), salesunit.TestUnitRequest{Name: "Demo"})
		require.NoError(t, err)
		got, err := c.TestUnits.Creation(t.Context(), cr.CreationID)
		require.NoError(t, err)
		assert.Equal(t, salesunit.CreationCompleted, got.Status)
	})

	t.Run("half configured", func(t *testing.T) {
		exampletest.Clear(t)
		rec.Started = 0
		t.Setenv(portal.EnvBaseURL, "http://127.0.0.1:1")
		_, err := setup.Connect()
		var inc *exampleenv.IncompleteError
		require.ErrorAs(t, err, &inc)
		assert.Zero(t, rec.Started, "no simulator is started in its place")
	})

	t.Run("environment", func(t *testing.T) {
		other := portaltest.NewServer()
		defer other.Close()
		admin := other.UserCredentials(portaltest.AdminUserID)
		exampletest.Clear(t)
		t.Setenv(portal.EnvClientID, admin.ClientID)
		t.Setenv(portal.EnvClientSecret, admin.ClientSecret.Reveal())
		t.Setenv(portal.EnvSubscriptionKey, admin.SubscriptionKey.Reveal())
		t.Setenv(portal.EnvBaseURL, other.URL)
		t.Setenv(portal.EnvPortalURL, other.URL)
		c, err := setup.Connect()
		require.NoError(t, err)
		defer c.Close()
		assert.Zero(t, rec.Started)
		assert.Nil(t, c.Sim)
		_, err = c.Users.Me(t.Context())
		require.NoError(t, err)
		assert.Len(t, other.RequestsOf("getMe"), 1, "the call went where the environment points")
	})
}
