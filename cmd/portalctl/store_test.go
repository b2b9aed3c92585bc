package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/vipps"
)

func openTemp(t *testing.T) (*os.File, error) {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "file")
	if err == nil {
		t.Cleanup(func() { f.Close() })
	}
	return f, err
}

var testSet = &keys.Set{MSN: "123456", Environment: "test", ClientID: "id", ClientSecret: vipps.Secret("s3cret"),
	SubscriptionKeyPrimary: vipps.Secret("primary"), SubscriptionKeySecondary: vipps.Secret("secondary"), UpdatedAt: time.Unix(0, 0).UTC()}

func readKeyFile(t *testing.T, path string) keys.KeyFile {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var f keys.KeyFile
	require.NoError(t, json.Unmarshal(b, &f))
	return f
}

func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	k, err := openKeyFile(path, false)
	require.NoError(t, err)
	require.NoError(t, k.save(testSet))
	f := readKeyFile(t, path)
	assert.Equal(t, keys.SubscriptionKeyPrimary, f.InUse)
	assert.Equal(t, testSet.Reveal(), f.Keys)
	assert.Equal(t, "s3cret", f.Keys.ClientSecret)

	// Without --force the file that now exists is refused, before any call.
	_, err = openKeyFile(path, false)
	assert.True(t, isUsage(err), "an existing file is refused: %v", err)
	assert.ErrorContains(t, err, "give --force to replace it")

	// --force replaces the file whole.
	changed := *testSet
	changed.ClientSecret = "n3w"
	k, err = openKeyFile(path, true)
	require.NoError(t, err)
	require.NoError(t, k.save(&changed))
	assert.Equal(t, "n3w", readKeyFile(t, path).Keys.ClientSecret)
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left behind")
}
