package main

import (
	"encoding/json"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checksOf indexes a --json diagnosis's checks by name.
func checksOf(t *testing.T, d obj) map[string]obj {
	t.Helper()
	list, isList := d["checks"].([]any)
	require.True(t, isList, "%v", d)
	out := map[string]obj{}
	for _, c := range list {
		c := c.(obj)
		if _, seen := out[c["name"].(string)]; !seen {
			out[c["name"].(string)] = c
		}
	}
	for _, name := range []string{"settings", "token", "subscription-key", "msn", "management", "portal", "webhooks"} {
		assert.Contains(t, out, name)
	}
	return out
}

func TestDoctorWithGoodKeysOfEachKind(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	for _, tc := range []struct {
		name    string
		env     map[string]string
		kind    string
		reaches []string // what the report says they reach
		not     []string // and what they do not
	}{
		{"unit", s.unitEnv(t, "123456"), "unit",
			[]string{"123456 (ACME Web) answers in the Management API", "reaches 2 sales unit(s)"},
			[]string{"not expected  portal: these keys, a sales unit's own keys, are not a portal user's", "price packages and product orders are for partners (403)"}},
		{"admin", s.env("admin"), "user",
			[]string{"portal: a portal user, Ada Admin (ADMINISTRATOR)", "reaches 2 sales unit(s)"},
			[]string{"price packages and product orders are for partners (403)"}},
		{"partner", s.env("partner"), "partner",
			[]string{"as a partner 1 price package(s) and product orders", "123456 ACME Web, 654321 Other Shop"},
			[]string{"not expected  portal: these keys, a partner's API client, are not a portal user's"}},
		{"management", s.env("management"), "management",
			[]string{"token: a token was issued at " + s.url + "/miami/v1/token", "as a partner 1 price package(s)"},
			[]string{"not expected  portal: management keys reach the Management API only", "not expected  subscription-key"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ok(t, tc.env, "doctor")
			assert.Empty(t, r.stderr)
			for _, s := range append(tc.reaches, tc.not...) {
				assert.Contains(t, r.stdout, s)
			}
			assert.Contains(t, r.stdout, "These keys work for everything")
			assert.NotContains(t, r.stdout, "FAILED")

			d := okJSON[obj](t, tc.env, "doctor")
			assert.Equal(t, true, d["ok"])
			assert.Equal(t, tc.kind, d["keyKind"])
			assert.Equal(t, "custom", d["environment"])
			assert.Equal(t, s.url, d["baseUrl"])
			checks := checksOf(t, d)
			assert.Equal(t, "ok", checks["token"]["status"])
			assert.Equal(t, "ok", checks["management"]["status"])
			for name, c := range checks {
				assert.NotEqual(t, "failed", c["status"], name)
				assert.NotContains(t, c, "setting", name)
			}
		})
	}
}

func TestDoctorNamesTheSettingToFix(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closedURL := "http://" + closed.Addr().String()
	require.NoError(t, closed.Close())
	unit := func(changes ...string) map[string]string {
		env := s.unitEnv(t, "123456")
		for i := 0; i+1 < len(changes); i += 2 {
			env[changes[i]] = changes[i+1]
		}
		return env
	}
	_, secret, primary, _ := unitKeys(t, "123456")
	typo := []byte(primary)
	typo[0] ^= 1 // one character off

	for _, tc := range []struct {
		name    string
		env     map[string]string
		args    []string
		check   string
		setting string
		says    string
	}{
		{"a wrong client secret", unit(envClientSecret, "not-the-secret"), nil, "token", "VIPPS_CLIENT_SECRET", "401 invalid_client"},
		{"a secret with a trailing space", unit(envClientSecret, secret+" "), nil, "settings", "VIPPS_CLIENT_SECRET", "VIPPS_CLIENT_SECRET ends with white space"},
		{"a subscription key that is not live", unit(envSubscriptionKey, string(typo)), nil, "subscription-key", "VIPPS_SUBSCRIPTION_KEY", "refused VIPPS_SUBSCRIPTION_KEY (401)"},
		{"test keys against the production URL", s.unitEnv(t, "223344"), nil, "msn", "VIPPS_ENVIRONMENT", "these are test keys"},
		{"an unreachable base URL", unit(envBaseURL, closedURL, envPortalURL, closedURL), nil, "token", "VIPPS_BASE_URL", "no answer from " + closedURL},
		{"an MSN out of the unit's reach", unit(envMSN, "654321"), nil, "msn", "VIPPS_MSN", "654321 is not a sales unit these keys reach"},
		{"an MSN out of the partner's reach", s.env("partner"), []string{"--msn", "123457"}, "msn", "--msn", "a partner reaches the units connected to it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ctl(t, tc.env, append(tc.args, "doctor")...)
			assert.Equal(t, exitFailed, r.code, "%s", r)
			assert.Contains(t, r.stdout, "FAILED")
			assert.Contains(t, r.stdout, "Fix "+tc.setting+".")
			assert.Contains(t, r.stderr, "(fix "+tc.setting+")", "the error on stderr names what to fix")

			r = ctl(t, tc.env, append(tc.args, "doctor", "--json")...)
			assert.Equal(t, exitFailed, r.code, "%s", r)
			var d obj
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &d), r.stdout)
			assert.Equal(t, false, d["ok"])
			c := checksOf(t, d)[tc.check]
			assert.Equal(t, "failed", c["status"], "%v", d)
			assert.Equal(t, tc.setting, c["setting"])
			assert.Contains(t, c["detail"], tc.says)
		})
	}
}
