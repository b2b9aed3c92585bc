package exampleenv_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/examples/internal/exampleenv"
	"github.com/vippsportal/sdk/examples/internal/exampletest"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/salesunit"
)

func TestMain(m *testing.M) { exampletest.Main(m) }

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

// demo is a Program as an example makes one: a flag, a check on it, and
// simulator options that depend on it.
func demo(delay *time.Duration) exampleenv.Program {
	fs := exampleenv.Flags("demo", "Demo does a thing.")
	fs.DurationVar(delay, "delay", time.Hour, "provisioning delay on the simulator")
	return exampleenv.Program{
		Flags: fs,
		As:    exampleenv.Admin,
		SimOptions: func() []portaltest.Option {
			return []portaltest.Option{portaltest.WithProvisioningDelay(*delay)}
		},
		Check: func() error {
			if *delay < 0 {
				return exampleenv.Usagef("-delay must not be negative")
			}
			return nil
		},
	}
}

// TestProgramRun: on the simulator when nothing is set (started by the given
// Sim, with the example's options after its flags are parsed, as its
// principal), refusal without starting one when the environment is half set
// or a flag is refused, the environment when it is complete, and the job's
// error as exit code 1.
func TestProgramRun(t *testing.T) {
	t.Run("simulator", func(t *testing.T) {
		exampletest.Clear(t)
		var delay time.Duration
		rec := &exampletest.Recorder{ClientExtra: []portal.Option{portal.WithSystem("demo-test", "1.0", "", "")}}
		var stdout, stderr bytes.Buffer
		ran := false
		code := demo(&delay).Run(t.Context(), []string{"-delay", "0s"}, &stdout, &stderr, rec, func(ctx context.Context, c *exampleenv.Conn) error {
			ran = true
			require.Equal(t, 1, rec.Started)
			assert.Same(t, rec.Server, c.Sim)
			me, err := c.Users.Me(ctx)
			require.NoError(t, err)
			assert.Equal(t, portaltest.AdminUserID, me.UserID, "acting as the Principal")
			// The options come from the parsed flag: no provisioning delay.
			cr, err := c.TestUnits.Create(ctx, salesunit.TestUnitRequest{Name: "Demo"})
			require.NoError(t, err)
			got, err := c.TestUnits.Creation(ctx, cr.CreationID)
			require.NoError(t, err)
			assert.Equal(t, salesunit.CreationCompleted, got.Status)
			return nil
		})
		require.Equal(t, 0, code, stderr.String())
		assert.True(t, ran)
		assert.Equal(t, "No VIPPS_* variable set: using the embedded simulator at "+rec.Server.URL+".\n", stdout.String())
		reqs := rec.Server.RequestsOf("getMe")
		require.NotEmpty(t, reqs)
		for _, r := range reqs {
			assert.Equal(t, "demo-test", r.Header.Get("Vipps-System-Name"), "the Sim's client options come last")
		}
	})

	refused := func(t *testing.T, args []string, wantStderr string) {
		t.Helper()
		var delay time.Duration
		var rec exampletest.Recorder
		var stdout, stderr bytes.Buffer
		code := demo(&delay).Run(t.Context(), args, &stdout, &stderr, &rec, func(context.Context, *exampleenv.Conn) error {
			t.Error("the job ran")
			return nil
		})
		assert.Equal(t, 2, code)
		assert.Zero(t, rec.Started, "nothing started")
		assert.Contains(t, stderr.String(), wantStderr)
	}
	t.Run("half configured", func(t *testing.T) {
		exampletest.Clear(t)
		t.Setenv(portal.EnvBaseURL, "http://127.0.0.1:1")
		refused(t, nil, "demo: VIPPS_CLIENT_ID, VIPPS_CLIENT_SECRET, VIPPS_SUBSCRIPTION_KEY not set")
	})
	t.Run("refused by Check", func(t *testing.T) {
		exampletest.Clear(t)
		refused(t, []string{"-delay", "-1s"}, "demo: -delay must not be negative\n")
	})

	t.Run("environment", func(t *testing.T) {
		var delay time.Duration
		run := func(ctx context.Context, args []string, stdout, stderr io.Writer, sim exampleenv.Sim) int {
			return demo(&delay).Run(ctx, args, stdout, stderr, sim, func(ctx context.Context, c *exampleenv.Conn) error {
				assert.Nil(t, c.Sim)
				_, err := c.Users.Me(ctx)
				return err
			})
		}
		other, code, stdout, stderr := exampletest.FromEnv(t, run, exampleenv.Admin, nil)
		require.Equal(t, 0, code, stderr)
		assert.Empty(t, stdout, "no line about a simulator")
		assert.Len(t, other.RequestsOf("getMe"), 1, "the call went where the environment points")
	})

	t.Run("the job fails", func(t *testing.T) {
		exampletest.Clear(t)
		var delay time.Duration
		var rec exampletest.Recorder
		var stdout, stderr bytes.Buffer
		code := demo(&delay).Run(t.Context(), nil, &stdout, &stderr, &rec, func(context.Context, *exampleenv.Conn) error {
			return errors.New("boom")
		})
		assert.Equal(t, 1, code)
		assert.Equal(t, "demo: boom\n", stderr.String())
	})
}
