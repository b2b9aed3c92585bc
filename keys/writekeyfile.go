package keys

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/vippsportal/sdk/internal/core"
)

// beforeRename, when set (by tests), runs once the temporary file is written
// and synced, before it takes the key file's place.
var beforeRename func() error

// WriteKeyFile writes f to path as the key file a [FileSource] follows
// ([KeyFile]'s JSON, values in the clear): into a temporary file in the same
// directory with mode 0600, synced, then renamed over path, and the directory
// synced. A reader sees the old file or the new one, never half of one, and a
// crash leaves one of them whole.
//
// An existing file is replaced only when overwrite is true. Otherwise the
// error matches [fs.ErrExist] and the file is left as it was; path is claimed
// (created empty, exclusively) before the rename, so of two writers only one
// creates it.
//
// f is checked first as a FileSource checks what it reads: InUse must be a
// subscription key and the set one a request can carry (an MSN of 4-10
// digits, vipps.Production or vipps.Test, every value present). A bad f is a
// *vipps.ValidationError naming the field ("KeyFile.Keys.ClientSecret"), and
// nothing is written. No error quotes a value.
func WriteKeyFile(path string, f KeyFile, overwrite bool) error {
	if !f.InUse.IsSubscriptionKey() {
		return core.Invalid("KeyFile.InUse", "must be subscriptionKeyPrimary or subscriptionKeySecondary")
	}
	set := f.Keys.Set()
	if err := checkSet("KeyFile.Keys", &set); err != nil {
		return err
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("keys: key file %s: %w", path, err)
	}
	if err := writeAtomic(path, append(b, '\n'), overwrite); err != nil {
		return fmt.Errorf("keys: writing key file %s: %w", path, err)
	}
	return nil
}

// writeAtomic puts data at path by way of a synced 0600 temporary file
// renamed over it; without overwrite, path is claimed exclusively first.
func writeAtomic(path string, data []byte, overwrite bool) (err error) {
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
				return fs.ErrExist // the path is the caller's to name
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
	// The rename itself survives a crash once the directory is synced; not
	// every platform can sync a directory (Windows), and the file is in
	// place either way.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
