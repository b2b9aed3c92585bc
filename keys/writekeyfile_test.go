package keys_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/keys"
)

// followedFile checks a written key file as an integration meets it: the
// only file of its directory (no temporary left), 0600, and what a
// FileSource reads.
func followedFile(t *testing.T, path string) (keys.Set, keys.Name) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "only the key file")
	if runtime.GOOS != "windows" { // where file modes do not say who may read
		fi, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	}
	src, err := keys.NewFileSource(path)
	require.NoError(t, err)
	return src.Current()
}

// What WriteKeyFile writes, a FileSource reads: the same set and key in use.
func TestWriteKeyFileWritesWhatAFileSourceReads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	require.NoError(t, keys.WriteKeyFile(path, keys.KeyFile{InUse: keys.SubscriptionKeySecondary, Keys: fileSet1.Reveal()}, false))
	set, inUse := followedFile(t, path)
	assert.Equal(t, fileSet1, set)
	assert.Equal(t, keys.SubscriptionKeySecondary, inUse)
}

// Without overwrite an existing file is refused and left whole; with it, the
// file is replaced (0600 even when the old one was not).
func TestWriteKeyFileOverwritesOnlyWhenTold(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"old":true}`), 0o644))

	err := keys.WriteKeyFile(path, keys.KeyFile{InUse: keys.SubscriptionKeyPrimary, Keys: fileSet1.Reveal()}, false)
	require.ErrorIs(t, err, fs.ErrExist)
	assert.Contains(t, err.Error(), path)
	b, rerr := os.ReadFile(path)
	require.NoError(t, rerr)
	assert.Equal(t, `{"old":true}`, string(b))

	require.NoError(t, keys.WriteKeyFile(path, keys.KeyFile{InUse: keys.SubscriptionKeyPrimary, Keys: fileSet2.Reveal()}, true))
	set, _ := followedFile(t, path)
	assert.Equal(t, fileSet2, set)
}

// A key file a FileSource would refuse is not written; errors name fields
// and files, never a value.
func TestWriteKeyFileRefusesWhatNoSourceReads(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.json")
	noMSN := fileSet1
	noMSN.MSN = ""
	noSecret := fileSet1
	noSecret.ClientSecret = ""
	for _, tc := range []struct {
		file  keys.KeyFile
		field string
	}{
		{keys.KeyFile{InUse: keys.ClientSecret, Keys: fileSet1.Reveal()}, "KeyFile.InUse"},
		{keys.KeyFile{Keys: fileSet1.Reveal()}, "KeyFile.InUse"},
		{keys.KeyFile{InUse: keys.SubscriptionKeyPrimary, Keys: noMSN.Reveal()}, "KeyFile.Keys.MSN"},
		{keys.KeyFile{InUse: keys.SubscriptionKeyPrimary, Keys: noSecret.Reveal()}, "KeyFile.Keys.ClientSecret"},
	} {
		err := keys.WriteKeyFile(path, tc.file, true)
		requireInvalid(t, err, tc.field)
		for _, v := range []string{fileSet1.ClientSecret.Reveal(), fileSet1.SubscriptionKeyPrimary.Reveal(), fileSet1.SubscriptionKeySecondary.Reveal()} {
			assert.NotContains(t, err.Error(), v)
		}
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing written")

	err = keys.WriteKeyFile(filepath.Join(dir, "missing", "keys.json"), keys.KeyFile{InUse: keys.SubscriptionKeyPrimary, Keys: fileSet1.Reveal()}, true)
	require.Error(t, err)
	assert.Contains(t, err.Error(), filepath.Join(dir, "missing", "keys.json"))
	assert.NotContains(t, err.Error(), fileSet1.ClientSecret.Reveal())
}
