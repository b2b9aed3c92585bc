package keys_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/vipps"
)

// writeKeyFile replaces path atomically (temporary file and rename), as
// secret volumes and the rotate example do.
func writeKeyFile(t *testing.T, path string, set keys.Set, inUse keys.Name) {
	t.Helper()
	b, err := json.Marshal(keys.KeyFile{InUse: inUse, Keys: set.Reveal()})
	require.NoError(t, err)
	writeRaw(t, path, b)
}

func writeRaw(t *testing.T, path string, b []byte) {
	t.Helper()
	tmp := path + ".tmp"
	require.NoError(t, os.WriteFile(tmp, b, 0o600))
	require.NoError(t, os.Rename(tmp, path))
}

var (
	fileSet1 = keys.Set{MSN: "123456", Environment: "production", ClientID: "id-1", ClientSecret: "Sup3r-S3cret-One",
		SubscriptionKeyPrimary: "prim4ry-one", SubscriptionKeySecondary: "second4ry-one"}
	fileSet2 = keys.Set{MSN: "123456", Environment: "production", ClientID: "id-1", ClientSecret: "Sup3r-S3cret-Two",
		SubscriptionKeyPrimary: "prim4ry-one", SubscriptionKeySecondary: "second4ry-two"}
)

func TestFileSourceFollowsTheFileWithoutReadingItOnEveryRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "keys.json")
		writeKeyFile(t, path, fileSet1, keys.SubscriptionKeyPrimary)
		fs, err := keys.NewFileSource(path)
		require.NoError(t, err)
		set, n, done := fs.Keys()
		done()
		assert.Equal(t, fileSet1, set)
		assert.Equal(t, keys.SubscriptionKeyPrimary, n)

		writeKeyFile(t, path, fileSet2, keys.SubscriptionKeySecondary)
		for range 100 {
			set, _, done = fs.Keys()
			done()
			assert.Equal(t, fileSet1, set, "within CheckEvery the file is not looked at")
		}
		time.Sleep(keys.DefaultCheckEvery) // fake clock
		set, n, done = fs.Keys()
		done()
		assert.Equal(t, fileSet2, set, "the change is picked up once CheckEvery passed")
		assert.Equal(t, keys.SubscriptionKeySecondary, n)

		// A broken file leaves the last good set in use, and says why without quoting it.
		writeRaw(t, path, []byte(`{"inUse":"subscriptionKeyPrimary","keys":{"clientSecret":"Sup3r-S3cret-Three`))
		time.Sleep(keys.DefaultCheckEvery)
		set, _, done = fs.Keys()
		done()
		assert.Equal(t, fileSet2, set)
		require.Error(t, fs.Err())
		assert.NotContains(t, fs.Err().Error(), "Sup3r")
		writeRaw(t, path, []byte(`{"inUse":"subscriptionKeyPrimary","keys":{"clientSecret":12345}}`))
		fs.Reload(context.Background())
		assert.ErrorContains(t, fs.Err(), "shape")
		assert.NotContains(t, fs.Err().Error(), "12345")

		writeKeyFile(t, path, fileSet1, keys.SubscriptionKeyPrimary)
		fs.Reload(context.Background()) // at once, whatever CheckEvery
		set, _ = fs.Current()
		assert.Equal(t, fileSet1, set)
		assert.NoError(t, fs.Err())
	})
}

func TestNewFileSourceRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	_, err := keys.NewFileSource(filepath.Join(dir, "missing.json"))
	assert.ErrorIs(t, err, os.ErrNotExist)
	path := filepath.Join(dir, "keys.json")
	writeKeyFile(t, path, fileSet1, keys.ClientSecret)
	_, err = keys.NewFileSource(path)
	requireInvalid(t, err, path+": inUse")
	bad := fileSet1
	bad.SubscriptionKeySecondary = ""
	writeKeyFile(t, path, bad, keys.SubscriptionKeyPrimary)
	_, err = keys.NewFileSource(path)
	requireInvalid(t, err, path+": keys.SubscriptionKeySecondary")
	_, err = keys.NewFileSource("")
	requireInvalid(t, err, "path")
}

func TestFileSourceReloadsWhenVippsRefusesTheKey(t *testing.T) {
	s := newSim(t)
	ctx := context.Background()
	admin := s.AdminClient(fastRetry)
	path := filepath.Join(t.TempDir(), "keys.json")
	writeKeyFile(t, path, simSet(t, s, portaltest.ProductionMSN), keys.SubscriptionKeyPrimary)
	fs, err := keys.NewFileSource(path, keys.CheckEvery(time.Hour)) // only a refusal makes it look
	require.NoError(t, err)
	c := liveClient(t, s, fs)
	_, err = c.SalesUnits.Get(ctx, portaltest.ProductionMSN)
	require.NoError(t, err)

	// Another process rotated the key in use and wrote the file.
	next, err := admin.Keys.Regenerate(ctx, portaltest.ProductionMSN, keys.SubscriptionKeyPrimary)
	require.NoError(t, err)
	writeKeyFile(t, path, *next, keys.SubscriptionKeyPrimary)
	s.ResetRequests()
	_, err = c.SalesUnits.Get(ctx, portaltest.ProductionMSN)
	require.NoError(t, err, "the gateway's 401 made the client read the file again")
	var statuses []int
	for _, r := range s.RequestsOf("getMsn") {
		statuses = append(statuses, r.Status)
	}
	assert.Equal(t, []int{http.StatusUnauthorized, http.StatusOK}, statuses)

	// The same through HTTPClient, after the secret changed (401 invalid_client on the token request).
	next, err = admin.Keys.Regenerate(ctx, portaltest.ProductionMSN, keys.ClientSecret)
	require.NoError(t, err)
	writeKeyFile(t, path, *next, keys.SubscriptionKeyPrimary)
	fresh := liveClient(t, s, fs) // holds no token
	resp, err := fresh.HTTPClient().Get(s.URL + "/management/v1/sales-units/" + portaltest.ProductionMSN)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestFileSourcePrintsNoSecret(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	writeKeyFile(t, path, fileSet1, keys.SubscriptionKeyPrimary)
	fs, err := keys.NewFileSource(path)
	require.NoError(t, err)
	b, err := json.Marshal(fs)
	require.NoError(t, err)
	out := fmt.Sprintf("%v %+v %#v %s", fs, fs, fs, fs) + string(b)
	for _, v := range []vipps.Secret{fileSet1.ClientSecret, fileSet1.SubscriptionKeyPrimary, fileSet1.SubscriptionKeySecondary} {
		assert.NotContains(t, out, v.Reveal())
	}
	assert.Contains(t, out, path)
}
