package main

import (
	"context"
	"errors"
	"io/fs"

	"github.com/vippsportal/sdk/keys"
)

// storedKeys is the file's format, keys.KeyFile (what keys.NewFileSource
// follows): the key set with its values in the clear (the file is 0600 and
// written on purpose) and the subscription key in use.
type storedKeys = keys.KeyFile

// fileStore keeps a sales unit's key set in one JSON file, replaced atomically
// by keys.WriteKeyFile: a reader (the integration) sees the old file or the
// new one, never half of one, and a crash leaves one of the two whole.
type fileStore struct {
	path string
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

// Save writes set and inUse over the file (mode 0600, synced, renamed into
// place).
func (f *fileStore) Save(_ context.Context, set keys.Set, inUse keys.Name) error {
	return keys.WriteKeyFile(f.path, storedKeys{InUse: inUse, Keys: set.Reveal()}, true)
}
