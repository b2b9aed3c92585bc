package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/vipps"
	"github.com/vippsportal/sdk/webhooks"
)

func TestSecretsFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "secrets.json")
	f, err := loadSecrets("--store", path)
	require.NoError(t, err, "no file yet: an empty one")
	assert.Empty(t, f.ids())
	assert.NoFileExists(t, path, "nothing is written until something is added")

	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	reg := &webhooks.Registered{ID: "id-1", Secret: vipps.Secret("s3cret-1"), URL: "https://hooks.example.com/a",
		Events: []webhooks.EventName{webhooks.EPaymentCaptured}, MSN: "123456"}
	require.NoError(t, f.add(entryOf(reg, now)))
	reg2 := *reg
	reg2.ID, reg2.Secret = "id-2", "s3cret-2"
	require.NoError(t, f.add(entryOf(&reg2, now)))
	require.NoError(t, f.markDeleted(now.Add(time.Minute), "id-1", "unknown"))

	got := readSecrets(t, path) // 0600
	require.Len(t, got.Webhooks, 2)
	assert.Equal(t, secretEntry{ID: "id-1", MSN: "123456", URL: reg.URL, Events: reg.Events, Secret: "s3cret-1",
		RegisteredAt: now, DeletedAt: now.Add(time.Minute)}, got.Webhooks[0])
	assert.Equal(t, "s3cret-2", got.Webhooks[1].Secret)
	again, err := loadSecrets("--store", path)
	require.NoError(t, err)
	assert.Equal(t, []string{"id-2"}, again.ids(), "the deleted one is not held")
	assert.Equal(t, vipps.Redacted, again.Webhooks[1].redacted().Secret)

	// A write that fails keeps nothing of what it was to add.
	lost := &secretsFile{path: filepath.Join(dir, "missing", "secrets.json")}
	require.Error(t, lost.add(entryOf(reg, now)))
	assert.Empty(t, lost.Webhooks)

	// What is not a secrets file is refused, naming no value of it.
	for content, says := range map[string]string{
		`{"webhooks": [{"id": "x", "secret": 42}]}`:           "webhooks.secret must be string",
		`{"webhooks": [{"id": "x", "registeredAt": "s3cr"}]}`: "a value of the wrong form",
		`{"webhooks": [] } {}`:                                "more than one JSON value",
		`{"webhooks": [`:                                      "it ends too soon",
		`s3cret`:                                              "not JSON at byte 1",
	} {
		bad := filepath.Join(dir, "bad.json")
		require.NoError(t, os.WriteFile(bad, []byte(content), 0o600))
		_, err := loadSecrets("--secrets", bad)
		require.Error(t, err, content)
		assert.True(t, isUsage(err), "%v", err)
		assert.Contains(t, err.Error(), "--secrets "+bad+`: not a webhook secrets file ({"webhooks": [...]}): `+says)
		assert.NotContains(t, err.Error(), "s3cr")
	}
}
