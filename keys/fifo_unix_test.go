//go:build unix

package keys_test

import (
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// makeFIFO makes a named pipe in dir that no one writes to.
func makeFIFO(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "keys.fifo")
	require.NoError(t, syscall.Mkfifo(path, 0o600))
	return path
}
