package main

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/vippsportal/sdk/keys"
)

// storedKeys is the file's format, keys.KeyFile (what keys.NewFileSource
// follows): the key set with its values in the clear (the file is 0600 and
// written on purpose) and the subscription key in use.
type storedKeys = keys.KeyFile

// fileStore keeps a sales unit's key set in one JSON file, replaced atomically:
// a reader (the integration) sees the old file or the new one, never half of
// one, and a crash leaves one of the two whole.
type fileStore struct {
	path string
	// beforeRename, when set, runs after the temporary file is written and
	// synced and before it replaces the old one (tests use it to fail there).
	beforeRename func() error
}

// errNoStore is Load on a file that does not exist yet.
var errNoStore = errors.New("no key file yet")

// Load reads the key set and the subscription key in use, with the checks
// the integration's keys.FileSource makes (a regular 0600 file, a set every
// request can carry, errors that quote no value of the file).
func (f *fileStore) Load() (keys.Set, keys.Name, error) {
	src, err := keys.NewFileSource(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return keys.Set{}, "", errNoStore
	}
	if err != nil {
		return keys.Set{}, "", err
	}
	set, inUse := src.Current()
	return set, inUse, nil
}

// Save writes set and inUse: a temporary file in the same directory (so the
// rename cannot cross file systems), mode 0600, synced, renamed over the old
// file, and the directory synced so the rename itself survives a crash.
func (f *fileStore) Save(_ context.Context, set keys.Set, inUse keys.Name) error {
	b, err := json.MarshalIndent(storedKeys{InUse: inUse, Keys: set.Reveal()}, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	return writeAtomic(f.path, b, f.beforeRename)
}

func writeAtomic(path string, data []byte, beforeRename func() error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	// CreateTemp makes 0600 files; say so anyway, whatever the umask or platform.
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
	if beforeRename != nil {
		if err = beforeRename(); err != nil {
			return err
		}
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
