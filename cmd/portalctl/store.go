package main

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/vippsportal/sdk/keys"
)

// keyFile is where --store writes a key set in the clear: keys.KeyFile's
// format (what keys.NewFileSource follows), mode 0600. Without --force an
// existing file is refused before any call is made, by creating the file
// then (so a regenerated key is never left without a place to go); with
// --force it is replaced atomically once the set is known.
type keyFile struct {
	path string
	f    *os.File // created at open without --force; nil with it
}

// openKeyFile claims path. Call save with the set, or abandon.
func openKeyFile(path string, force bool) (*keyFile, error) {
	if force {
		return &keyFile{path: path}, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, usage("--store %s: the file exists; give --force to replace it", path)
	}
	if err != nil {
		return nil, err
	}
	return &keyFile{path: path, f: f}, nil
}

// save writes set, with the primary subscription key in use.
func (k *keyFile) save(set *keys.Set) error {
	b, err := json.MarshalIndent(keys.KeyFile{InUse: keys.SubscriptionKeyPrimary, Keys: set.Reveal()}, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if k.f != nil {
		_, err := k.f.Write(b)
		if cerr := k.f.Close(); err == nil {
			err = cerr
		}
		k.f = nil
		return err
	}
	return replaceFile(k.path, b)
}

// abandon removes the file open created, when nothing was saved in it.
func (k *keyFile) abandon() {
	if k.f != nil {
		_ = k.f.Close()
		_ = os.Remove(k.path)
		k.f = nil
	}
}

// replaceFile writes data beside path (mode 0600) and renames it over path:
// a reader sees the old file or the new one, never half of one.
func replaceFile(path string, data []byte) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
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
	return os.Rename(tmp.Name(), path)
}
