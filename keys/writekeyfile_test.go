package keys_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/keys"
)

// dirHolds asserts the directory holds exactly names: no temporary left behind.
func dirHolds(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	assert.ElementsMatch(t, names, got)
}

func perm(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	return fi.Mode().Perm()
}

// What WriteKeyFile writes, a FileSource reads: the same set and key in use.
func TestWriteKeyFileWritesWhatAFileSourceReads(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.json")
	require.NoError(t, keys.WriteKeyFile(path, keys.KeyFile{InUse: keys.SubscriptionKeySecondary, Keys: fileSet1.Reveal()}, false))
	if runtime.GOOS != "windows" {
		assert.Equal(t, os.FileMode(0o600), perm(t, path))
	}
	dirHolds(t, dir, "keys.json")
	src, err := keys.NewFileSource(path)
	require.NoError(t, err)
	set, inUse := src.Current()
	assert.Equal(t, fileSet1, set)
	assert.Equal(t, keys.SubscriptionKeySecondary, inUse)
}

// Without overwrite an existing file is refused and left whole; with it, the
// file is replaced (0600 even when the old one was not) and nothing else is left.
func TestWriteKeyFileOverwritesOnlyWhenTold(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"old":true}`), 0o644))

	err := keys.WriteKeyFile(path, keys.KeyFile{InUse: keys.SubscriptionKeyPrimary, Keys: fileSet1.Reveal()}, false)
	require.ErrorIs(t, err, fs.ErrExist)
	assert.Contains(t, err.Error(), path)
	b, rerr := os.ReadFile(path)
	require.NoError(t, rerr)
	assert.Equal(t, `{"old":true}`, string(b))
	dirHolds(t, dir, "keys.json")

	require.NoError(t, keys.WriteKeyFile(path, keys.KeyFile{InUse: keys.SubscriptionKeyPrimary, Keys: fileSet2.Reveal()}, true))
	if runtime.GOOS != "windows" {
		assert.Equal(t, os.FileMode(0o600), perm(t, path))
	}
	dirHolds(t, dir, "keys.json")
	src, err := keys.NewFileSource(path)
	require.NoError(t, err)
	set, _ := src.Current()
	assert.Equal(t, fileSet2, set)
}

// Until the rename the key file is the old one, whole, and the new content
// is complete in a 0600 file beside it; a failure there changes nothing.
func TestWriteKeyFileReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.json")
	require.NoError(t, keys.WriteKeyFile(path, keys.KeyFile{InUse: keys.SubscriptionKeyPrimary, Keys: fileSet1.Reveal()}, false))
	before, err := os.ReadFile(path)
	require.NoError(t, err)

	looked := false
	keys.SetBeforeRename(func() error {
		looked = true
		now, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, before, now, "the old file, whole")
		tmps, err := filepath.Glob(filepath.Join(dir, ".keys.json.*.tmp"))
		require.NoError(t, err)
		require.Len(t, tmps, 1)
		if runtime.GOOS != "windows" {
			assert.Equal(t, os.FileMode(0o600), perm(t, tmps[0]))
		}
		tmp, err := os.ReadFile(tmps[0])
		require.NoError(t, err)
		assert.Contains(t, string(tmp), fileSet2.ClientSecret.Reveal())
		return nil
	})
	t.Cleanup(func() { keys.SetBeforeRename(nil) })
	require.NoError(t, keys.WriteKeyFile(path, keys.KeyFile{InUse: keys.SubscriptionKeySecondary, Keys: fileSet2.Reveal()}, true))
	assert.True(t, looked)

	keys.SetBeforeRename(func() error { return errors.New("crash") })
	err = keys.WriteKeyFile(path, keys.KeyFile{InUse: keys.SubscriptionKeyPrimary, Keys: fileSet1.Reveal()}, true)
	require.ErrorContains(t, err, "crash")
	src, serr := keys.NewFileSource(path)
	require.NoError(t, serr)
	set, inUse := src.Current()
	assert.Equal(t, fileSet2, set, "the file written before the failure")
	assert.Equal(t, keys.SubscriptionKeySecondary, inUse)
	dirHolds(t, dir, "keys.json")

	// A new file that fails before its rename leaves nothing behind, not even its claim.
	other := filepath.Join(dir, "other.json")
	err = keys.WriteKeyFile(other, keys.KeyFile{InUse: keys.SubscriptionKeyPrimary, Keys: fileSet1.Reveal()}, false)
	require.ErrorContains(t, err, "crash")
	dirHolds(t, dir, "keys.json")
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
	dirHolds(t, dir)

	err := keys.WriteKeyFile(filepath.Join(dir, "missing", "keys.json"), keys.KeyFile{InUse: keys.SubscriptionKeyPrimary, Keys: fileSet1.Reveal()}, true)
	require.Error(t, err)
	assert.Contains(t, err.Error(), filepath.Join(dir, "missing", "keys.json"))
	assert.NotContains(t, err.Error(), fileSet1.ClientSecret.Reveal())
}
