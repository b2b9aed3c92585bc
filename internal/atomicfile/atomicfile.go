// Package atomicfile writes the files that hold secrets (key files, webhook
// secrets files): mode 0600, and whole or not at all. keys.WriteKeyFile and
// portalctl's secrets file write through it, so the sequence lives once.
package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// beforeRename, when set (by tests), runs once the temporary file is written
// and synced, before it takes the file's place.
var beforeRename func() error

// Write puts data at path: into a temporary file in the same directory (so
// the rename cannot cross file systems) with mode 0600, synced, then renamed
// over path, and the directory synced so the rename survives a crash. A
// reader sees the old file or the new one, never half of one.
//
// Without overwrite an existing path is an error matching [io/fs.ErrExist] and
// is left as it was: path is claimed (created empty, exclusively) before the
// rename, so of two writers only one creates it. On any error nothing new is
// left behind, neither the temporary file nor the claim. Errors name files,
// never a byte of data.
func Write(path string, data []byte, overwrite bool) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	claimed := false
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
			if claimed {
				_ = os.Remove(path)
			}
		}
	}()
	// CreateTemp makes 0600 files; say so anyway, whatever the platform.
	if err = tmp.Chmod(0o600); err != nil {
		return err
	}
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if !overwrite {
		claim, cerr := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if cerr != nil {
			if errors.Is(cerr, fs.ErrExist) {
				return fs.ErrExist // the caller names the file
			}
			return cerr
		}
		claimed = true
		if err = claim.Close(); err != nil {
			return err
		}
	}
	if beforeRename != nil {
		if err = beforeRename(); err != nil {
			return err
		}
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	// Not every platform can sync a directory (Windows); the file is in
	// place either way.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
