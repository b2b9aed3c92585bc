package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/keys"
)

func TestKeysGetShowsSecretsOnlyWithReveal(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	admin := s.env("admin")
	id, secret, primary, secondary := unitKeys(t, "123456")

	// ctl checks that no output without --reveal holds a secret of the seed.
	set := okJSON[obj](t, admin, "keys", "get", "123456")
	assert.Equal(t, "123456", set["msn"])
	assert.Equal(t, "production", set["environment"])
	assert.Equal(t, id, set["clientId"])
	for _, k := range []string{"clientSecret", "subscriptionKeyPrimary", "subscriptionKeySecondary"} {
		assert.Equal(t, "[REDACTED]", set[k], k)
	}
	assert.NotEmpty(t, set["updatedAt"])
	assert.Regexp(t, `(?m)^clientSecret:\s+\[REDACTED\]$`, ok(t, admin, "keys", "get", "123456").stdout)

	revealed := okJSON[obj](t, admin, "keys", "get", "123456", "--reveal")
	assert.Equal(t, secret, revealed["clientSecret"])
	assert.Equal(t, primary, revealed["subscriptionKeyPrimary"])
	assert.Equal(t, secondary, revealed["subscriptionKeySecondary"])
	text := ok(t, admin, "keys", "get", "123456", "--reveal").stdout
	for _, v := range []string{secret, primary, secondary} {
		assert.Contains(t, text, v)
	}

	// Keys are hidden from a user without DEVELOPER on the unit.
	r := ctl(t, s.userEnv(t, "assistant"), "keys", "get", "123456")
	assert.Equal(t, exitFailed, r.code, "%s", r)
	assert.Contains(t, r.stderr, "403 keys-hidden")
}

func TestKeysVerifyAndRegenerate(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	admin := s.env("admin")
	_, secret, primary, secondary := unitKeys(t, "123457")

	v := okJSON[obj](t, admin, "keys", "verify", "123457")
	assert.Equal(t, "123457", v["msn"])
	assert.Equal(t, "production", v["environment"])
	assert.Equal(t, s.url+"/accesstoken/get", v["tokenUrl"])
	assert.Equal(t, obj{"works": true}, v["subscriptionKeyPrimary"])
	assert.Equal(t, obj{"works": true}, v["subscriptionKeySecondary"])
	assert.Equal(t, true, v["ok"])
	assert.NotContains(t, v, "clientError")
	assert.NotEmpty(t, v["verifiedAt"])

	set := okJSON[obj](t, admin, "keys", "regenerate", "123457", "subscriptionKeySecondary", "--reveal")
	assert.Equal(t, secret, set["clientSecret"], "only the named key changes")
	assert.Equal(t, primary, set["subscriptionKeyPrimary"])
	assert.NotEqual(t, secondary, set["subscriptionKeySecondary"])
	assert.NotEmpty(t, set["subscriptionKeySecondary"])
	redacted := okJSON[obj](t, admin, "keys", "regenerate", "123457", "subscriptionKeySecondary")
	assert.Equal(t, "[REDACTED]", redacted["subscriptionKeySecondary"])
	okJSON[obj](t, admin, "keys", "verify", "123457")

	// The old secondary no longer passes the gateway: a unit whose keys
	// were changed outside its holder's knowledge fails its doctor.
	unit := s.unitEnv(t, "123457")
	unit[envSubscriptionKey] = secondary
	r := ctl(t, unit, "doctor")
	assert.Equal(t, exitFailed, r.code, "%s", r)
	assert.Contains(t, r.stderr, "fix VIPPS_SUBSCRIPTION_KEY")

	r = ctl(t, admin, "keys", "regenerate", "123457", "password")
	assert.Equal(t, exitUsage, r.code, "%s", r)
	assert.Contains(t, r.stderr, "must be clientId, clientSecret, subscriptionKeyPrimary or subscriptionKeySecondary")
}

func TestKeysStoreWrites0600AndNeverOverwritesWithoutForce(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	admin := s.env("admin")
	_, secret, primary, secondary := unitKeys(t, "123456")
	path := filepath.Join(t.TempDir(), "keys.json")

	r := ok(t, admin, "keys", "get", "123456", "--store", path)
	assert.Contains(t, r.stderr, "Stored the key set of 123456 in "+path+" (mode 0600)")
	stored := readKeyFile(t, path) // checks the mode, 0600
	assert.Equal(t, keys.SubscriptionKeyPrimary, stored.InUse)
	assert.Equal(t, "123456", stored.Keys.MSN)
	assert.Equal(t, secret, stored.Keys.ClientSecret)
	assert.Equal(t, primary, stored.Keys.SubscriptionKeyPrimary)
	assert.Equal(t, secondary, stored.Keys.SubscriptionKeySecondary)

	// An existing file is refused before anything is regenerated.
	before, err := os.ReadFile(path)
	require.NoError(t, err)
	r = ctl(t, admin, "keys", "regenerate", "123456", "subscriptionKeySecondary", "--store", path)
	assert.Equal(t, exitUsage, r.code, "%s", r)
	assert.Contains(t, r.stderr, "give --force to replace it")
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, before, after)
	assert.Equal(t, secondary, okJSON[obj](t, admin, "keys", "get", "123456", "--reveal")["subscriptionKeySecondary"], "nothing was regenerated")

	// --force replaces it with the new set.
	ok(t, admin, "keys", "regenerate", "123456", "subscriptionKeySecondary", "--store", path, "--force")
	stored = readKeyFile(t, path)
	assert.NotEqual(t, secondary, stored.Keys.SubscriptionKeySecondary)
	assert.Equal(t, okJSON[obj](t, admin, "keys", "get", "123456", "--reveal")["subscriptionKeySecondary"], stored.Keys.SubscriptionKeySecondary)

	// A failed call leaves no file behind.
	missing := filepath.Join(t.TempDir(), "none.json")
	r = ctl(t, admin, "keys", "get", "999999", "--store", missing)
	assert.Equal(t, exitFailed, r.code, "%s", r)
	assert.NoFileExists(t, missing)
}
