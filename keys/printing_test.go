package keys_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/vipps"
)

// printSecrets are the values printSet and printToken hold.
var (
	printSet = keys.Set{MSN: "123456", Environment: vipps.Production, ClientID: "client-id-1",
		ClientSecret: "Cl1ent-S3cret-V4lue", SubscriptionKeyPrimary: "Pr1m4ry-K3y-V4lue",
		SubscriptionKeySecondary: "S3c0nd4ry-K3y-V4lue", UpdatedAt: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	printToken = keys.AccessToken{Value: "T0k3n-V4lue-eyJhbGciOi", Received: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC),
		ExpiresIn: time.Hour, TokenURL: "https://api.vipps.no"}
)

// leaks returns what of the secrets, as text or hex, out shows.
func leaks(out string) []string {
	var found []string
	for _, s := range []string{printSet.ClientSecret.Reveal(), printSet.SubscriptionKeyPrimary.Reveal(),
		printSet.SubscriptionKeySecondary.Reveal(), printToken.Value.Reveal()} {
		for _, form := range []string{s, hex.EncodeToString([]byte(s)), strings.ToUpper(hex.EncodeToString([]byte(s)))} {
			if strings.Contains(out, form) {
				found = append(found, form)
			}
		}
	}
	return found
}

// printed renders v every way a program might print, log or encode it.
func printed(v any) map[string]string {
	out := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x", "%X"} {
		out[verb] = fmt.Sprintf(verb, v)
	}
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("event", "v", v)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("event", "v", v)
	out["slog text"], out["slog json"] = text.String(), js.String()
	if b, err := json.Marshal(v); err == nil {
		out["json"] = string(b)
	} else {
		out["json"] = "error: " + err.Error()
	}
	if err, ok := v.(error); ok {
		out["Error()"] = err.Error()
	}
	return out
}

// held is v (a pointer) by value, by pointer, and in a struct's exported
// field, by value and by pointer. The copies are made by reflection: a
// LiveSource or FileSource holds a mutex, and vet rightly flags copying one in
// code, but a program can still do it.
func held(p any) map[string]any {
	v := reflect.ValueOf(p)
	inStructPtr := func(x reflect.Value) reflect.Value {
		s := reflect.New(reflect.StructOf([]reflect.StructField{{Name: "Held", Type: x.Type()}}))
		s.Elem().Field(0).Set(x)
		return s
	}
	inStruct := func(x reflect.Value) any { return inStructPtr(x).Elem().Interface() }
	return map[string]any{
		"by value":               v.Elem().Interface(),
		"by pointer":             p,
		"in a struct, value":     inStruct(v.Elem()),
		"in a struct, pointer":   inStruct(v),
		"in a *struct, value":    inStructPtr(v.Elem()).Interface(),
		"in an unexported field": hiddenIn(v.Elem()),
	}
}

// hiddenIn is a struct holding x in an unexported field, where fmt can call
// none of x's methods and walks its fields instead.
func hiddenIn(x reflect.Value) any {
	s := reflect.New(reflect.StructOf([]reflect.StructField{{Name: "held", PkgPath: "keys_test", Type: x.Type()}})).Elem()
	f := s.Field(0)
	reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Set(x)
	return s.Interface()
}

// TestNoPrintingShowsASecret: every type of the package that holds or
// reaches a secret, held by value, by pointer and inside a struct, printed
// with every fmt verb, logged with slog's text and JSON handlers, and
// encoded with json.Marshal, shows none. The one deliberate exception is
// JSON of the two persistence forms, RevealedSet and KeyFile, which is how a
// set is written on purpose; it is checked to reveal, so the test can see
// what it looks for.
func TestNoPrintingShowsASecret(t *testing.T) {
	live := keys.NewLiveSource(printSet, keys.SubscriptionKeyPrimary)
	path := filepath.Join(t.TempDir(), "keys.json")
	writeKeyFile(t, path, printSet, keys.SubscriptionKeyPrimary)
	fs, err := keys.NewFileSource(path)
	require.NoError(t, err)
	revealed := printSet.Reveal()
	kf := keys.KeyFile{InUse: keys.SubscriptionKeyPrimary, Keys: revealed}
	unsaved := printSet
	cause := errors.New("vault sealed")

	for _, tc := range []struct {
		name string
		ptr  any
		// persist: JSON is the persistence form and writes the values on purpose.
		persist bool
		// hidden: safe even in a struct's unexported field, where fmt honours
		// no method and walks the fields: a Secret there is the string it is,
		// in any struct (a vipps.Credentials too). The sources keep their set
		// behind an atomic.Pointer, which fmt prints as an address.
		hidden bool
	}{
		{name: "LiveSource", ptr: live, hidden: true},
		{name: "FileSource", ptr: fs, hidden: true},
		{name: "KeyFile", ptr: &kf, persist: true},
		{name: "RevealedSet", ptr: &revealed, persist: true},
		{name: "Set", ptr: &printSet},
		{name: "AccessToken", ptr: &printToken},
		{name: "RotationReport", ptr: &keys.RotationReport{MSN: "123456", Environment: vipps.Production,
			Rotated: []keys.Name{keys.ClientSecret}, Steps: []keys.RotationStep{{Action: keys.ActionStore, Key: keys.ClientSecret}}}, hidden: true},
		{name: "StoreError", ptr: &keys.StoreError{MSN: "123456", Action: keys.ActionStore, Set: printSet, InUse: keys.SubscriptionKeyPrimary, Err: cause}},
		{name: "RotationError", ptr: &keys.RotationError{MSN: "123456", Action: keys.ActionVerify, Key: keys.ClientSecret, Unsaved: &unsaved, Err: cause}},
		{name: "KeyError", ptr: &keys.KeyError{MSN: "123456", Name: keys.ClientSecret, Err: cause}, hidden: true},
		{name: "DrainError", ptr: &keys.DrainError{Key: keys.SubscriptionKeyPrimary, InFlight: 2, Waited: time.Second, Err: context.DeadlineExceeded}, hidden: true},
	} {
		for how, v := range held(tc.ptr) {
			if how == "in an unexported field" && !tc.hidden {
				continue
			}
			for path, out := range printed(v) {
				deliberate := tc.persist && (path == "json" || path == "slog json" && strings.HasPrefix(how, "in a"))
				if deliberate {
					assert.NotEmpty(t, leaks(out), "%s %s through %s is the persistence form: it writes the values", tc.name, how, path)
					continue
				}
				assert.Empty(t, leaks(out), "%s %s printed with %s: %s", tc.name, how, path, out)
			}
		}
	}
	// And they still say something useful.
	assert.Contains(t, fmt.Sprintf("%v", live), "123456")
	assert.Contains(t, fmt.Sprintf("%d", fs), path)
	assert.Contains(t, fmt.Sprintf("%+v", kf), "subscriptionKeyPrimary")
	assert.Contains(t, fmt.Sprintf("%#v", kf), "keys.KeyFile{")
}
