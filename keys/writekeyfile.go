package keys

import (
	"encoding/json"
	"fmt"

	"github.com/vippsportal/sdk/internal/atomicfile"
	"github.com/vippsportal/sdk/internal/core"
)

// WriteKeyFile writes f to path as the key file a [FileSource] follows
// ([KeyFile]'s JSON, values in the clear), the way every file of the SDK that
// holds secrets is written: into a temporary file in the same directory with
// mode 0600, synced, then renamed over path, and the directory synced. A
// reader sees the old file or the new one, never half of one, and a crash
// leaves one of them whole.
//
// An existing file is replaced only when overwrite is true. Otherwise the
// error matches [io/fs.ErrExist] and the file is left as it was; path is
// claimed (created empty, exclusively) before the rename, so of two writers
// only one creates it.
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
	if err := atomicfile.Write(path, append(b, '\n'), overwrite); err != nil {
		return fmt.Errorf("keys: writing key file %s: %w", path, err)
	}
	return nil
}
