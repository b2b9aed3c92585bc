package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/vippsportal/sdk/keys"
)

// keyFile is where --store writes a key set in the clear: keys.KeyFile's
// format (what keys.NewFileSource follows), mode 0600, written atomically by
// keys.WriteKeyFile. Without --force an existing file is refused before any
// call is made, so that a regenerated key is not left without its place.
type keyFile struct {
	path  string
	force bool
}

// openKeyFile checks that path may be written (it does not exist, or force).
func openKeyFile(path string, force bool) (*keyFile, error) {
	if !force {
		_, err := os.Lstat(path)
		switch {
		case err == nil:
			return nil, usage("--store %s: the file exists; give --force to replace it", path)
		case !errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("--store %s: %w", path, err)
		}
	}
	return &keyFile{path: path, force: force}, nil
}

// save writes set, with the primary subscription key in use.
func (k *keyFile) save(set *keys.Set) error {
	return keys.WriteKeyFile(k.path, keys.KeyFile{InUse: keys.SubscriptionKeyPrimary, Keys: set.Reveal()}, k.force)
}
