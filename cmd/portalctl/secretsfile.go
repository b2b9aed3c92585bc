package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/vippsportal/sdk/internal/atomicfile"
	"github.com/vippsportal/sdk/vipps"
	"github.com/vippsportal/sdk/webhooks"
)

// maxSecretsFile bounds the webhook secrets file portalctl reads: a
// registration is a few hundred bytes, and a scope holds at most 25 of an event.
const maxSecretsFile = 4 << 20

// secretsFile is the webhook secrets file of --store and --secrets: the
// registrations portalctl made, each with its signing secret in the clear,
// for the receiver to verify with (webhooks.Key). portalctl only adds
// entries and marks those it deleted; it never drops a secret.
//
//	{"webhooks": [{"id": "...", "msn": "123456", "url": "https://...", "events": ["..."],
//	  "secret": "...", "registeredAt": "...", "replaces": "...", "deletedAt": "..."}]}
type secretsFile struct {
	Webhooks []secretEntry `json:"webhooks"`

	path string
}

// secretEntry is one registration and its secret. It is also what register
// and rotate-secret print, with the secret redacted unless --reveal.
type secretEntry struct {
	ID     string               `json:"id"`
	MSN    string               `json:"msn"` // "" for a partner-wide registration
	URL    string               `json:"url"`
	Events []webhooks.EventName `json:"events"`
	Secret string               `json:"secret"`
	// RegisteredAt is when portalctl received the registration.
	RegisteredAt time.Time `json:"registeredAt"`
	// Replaces is the registration this one took over from (rotate-secret).
	Replaces string `json:"replaces,omitempty"`
	// DeletedAt is when portalctl deleted the registration (the old one of
	// a rotation, a stale one of ensure): keep verifying with its secret a
	// while, for deliveries Vipps was still retrying.
	DeletedAt time.Time `json:"deletedAt,omitzero"`
}

// entryOf is r as an entry of the file, its secret revealed.
func entryOf(r *webhooks.Registered, now time.Time) secretEntry {
	return secretEntry{ID: r.ID, MSN: r.MSN, URL: r.URL, Events: slices.Clone(r.Events), Secret: r.Secret.Reveal(), RegisteredAt: now.UTC()}
}

// redacted is e with its secret shown as every vipps.Secret prints.
func (e secretEntry) redacted() secretEntry {
	e.Secret = vipps.Secret(e.Secret).String()
	return e
}

// loadSecrets reads the secrets file at path, or starts an empty one when
// there is none yet. A file that is not one (another file given by
// mistake, say) is refused and left alone, as is one others may read.
func loadSecrets(flag, path string) (*secretsFile, error) {
	f := &secretsFile{path: path}
	file, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", flag, path, err)
	}
	defer file.Close()
	fi, err := file.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", flag, path, err)
	}
	switch {
	case !fi.Mode().IsRegular():
		return nil, usage("%s %s: not a regular file", flag, path)
	case fi.Mode().Perm()&0o077 != 0 && runtime.GOOS != "windows":
		return nil, usage("%s %s: the file is open to its group or others (mode %04o): make it 0600", flag, path, fi.Mode().Perm())
	}
	b, err := io.ReadAll(io.LimitReader(file, maxSecretsFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", flag, path, err)
	}
	if len(b) > maxSecretsFile {
		return nil, usage("%s %s: more than %d bytes: not a webhook secrets file", flag, path, maxSecretsFile)
	}
	if err := decodeStrict(b, f); err != nil {
		return nil, usage("%s %s: not a webhook secrets file ({\"webhooks\": [...]}): %s", flag, path, err)
	}
	return f, nil
}

// decodeStrict decodes one JSON document that has only v's fields. Its error
// says where the document went wrong and quotes none of it (a secrets file's
// values are secrets).
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		return errors.New("more than one JSON value")
	}
	if err == nil {
		return nil
	}
	return errors.New(jsonProblem(err))
}

// jsonProblem says where a JSON document went wrong, without its content.
func jsonProblem(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("not JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("%s must be %s", typ.Field, typ.Type)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return strings.TrimPrefix(err.Error(), "json: ")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "it ends too soon"
	}
	return "a value of the wrong form" // a time, say: its error would quote the value
}

// ids are the registrations whose secrets the file holds and that portalctl
// has not deleted: webhooks.Spec.SecretsHeld.
func (f *secretsFile) ids() []string {
	var ids []string
	for _, e := range f.Webhooks {
		if e.DeletedAt.IsZero() {
			ids = append(ids, e.ID)
		}
	}
	return ids
}

// add records e and writes the file; when the write fails, e is not kept.
func (f *secretsFile) add(e secretEntry) error {
	f.Webhooks = append(f.Webhooks, e)
	if err := f.save(); err != nil {
		f.Webhooks = f.Webhooks[:len(f.Webhooks)-1]
		return err
	}
	return nil
}

// markDeleted records that the registrations ids were deleted at now, and
// writes the file when one of them was in it.
func (f *secretsFile) markDeleted(now time.Time, ids ...string) error {
	changed := false
	for i := range f.Webhooks {
		if f.Webhooks[i].DeletedAt.IsZero() && slices.Contains(ids, f.Webhooks[i].ID) {
			f.Webhooks[i].DeletedAt = now.UTC()
			changed = true
		}
	}
	if !changed {
		return nil
	}
	return f.save()
}

// save replaces the file atomically, mode 0600 (as keys.WriteKeyFile does
// a key file).
func (f *secretsFile) save() error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(f.path, append(b, '\n'), true)
}
