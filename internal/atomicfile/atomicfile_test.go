package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

func content(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

func requirePerm0600(t *testing.T, path string) {
	t.Helper()
	if runtime.GOOS == "windows" { // where file modes do not say who may read
		return
	}
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), path)
}

func TestWriteCreatesAndOverwritesOnlyWhenTold(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "secret.json")
	require.NoError(t, Write(path, []byte("one"), false))
	assert.Equal(t, "one", content(t, path))
	requirePerm0600(t, path)
	dirHolds(t, dir, "secret.json")

	err := Write(path, []byte("two"), false)
	require.ErrorIs(t, err, fs.ErrExist)
	assert.Equal(t, "one", content(t, path), "left as it was")
	dirHolds(t, dir, "secret.json")

	require.NoError(t, os.Chmod(path, 0o644))
	require.NoError(t, Write(path, []byte("two"), true))
	assert.Equal(t, "two", content(t, path))
	requirePerm0600(t, path) // even though the old file was not
	dirHolds(t, dir, "secret.json")

	err = Write(filepath.Join(dir, "missing", "secret.json"), []byte("x"), true)
	require.Error(t, err)
	dirHolds(t, dir, "secret.json")
}

// Until the rename the file is the old one, whole, and the new content is
// complete in a 0600 file beside it; a failure there changes nothing.
func TestWriteReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "secret.json")
	require.NoError(t, Write(path, []byte("old"), false))

	looked := false
	beforeRename = func() error {
		looked = true
		assert.Equal(t, "old", content(t, path), "the old file, whole")
		tmps, err := filepath.Glob(filepath.Join(dir, ".secret.json.*.tmp"))
		require.NoError(t, err)
		require.Len(t, tmps, 1)
		requirePerm0600(t, tmps[0])
		assert.Equal(t, "new", content(t, tmps[0]))
		return nil
	}
	t.Cleanup(func() { beforeRename = nil })
	require.NoError(t, Write(path, []byte("new"), true))
	assert.True(t, looked)
	assert.Equal(t, "new", content(t, path))

	beforeRename = func() error { return errors.New("crash") }
	require.EqualError(t, Write(path, []byte("newer"), true), "crash")
	assert.Equal(t, "new", content(t, path))
	dirHolds(t, dir, "secret.json")

	// A new file that fails before its rename leaves nothing, not even its claim.
	require.EqualError(t, Write(filepath.Join(dir, "other.json"), []byte("x"), false), "crash")
	dirHolds(t, dir, "secret.json")
}
