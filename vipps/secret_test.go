package vipps_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	secret "github.com/vippsportal/sdk/vipps"
)

const value = "sUp3r-s3cret-V4lue"

type holder struct {
	Name   string
	Secret secret.Secret
	Ptr    *secret.Secret
	Map    map[string]secret.Secret
	List   []secret.Secret
}

func leaks(s string) bool {
	// The value itself, and its hex forms (%x of the raw string would show these).
	return strings.Contains(s, value) || strings.Contains(s, fmt.Sprintf("%x", value)) || strings.Contains(s, fmt.Sprintf("%X", value))
}

func TestSecretNeverPrinted(t *testing.T) {
	s := secret.Secret(value)
	h := holder{Name: "n", Secret: s, Ptr: &s, Map: map[string]secret.Secret{"k": s}, List: []secret.Secret{s, s}}
	subjects := map[string]any{"value": s, "pointer": &s, "struct": h, "struct pointer": &h, "slice": []secret.Secret{s}, "interface": any(s)}
	verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T", "%10s", "%-40v", "%.3s", "%#q", "%+q", "% x"}
	for name, v := range subjects {
		for _, verb := range verbs {
			out := fmt.Sprintf(verb, v)
			assert.False(t, leaks(out), "%s with %s printed %q", name, verb, out)
		}
		for _, out := range []string{fmt.Sprint(v), fmt.Sprintln(v)} {
			assert.False(t, leaks(out), "%s: %q", name, out)
		}
		b, err := json.Marshal(v)
		if err == nil {
			assert.False(t, leaks(string(b)), "json %s: %s", name, b)
		}
		b, err = json.MarshalIndent(v, "", " ")
		if err == nil {
			assert.False(t, leaks(string(b)), "json indent %s", name)
		}
	}
	assert.Equal(t, secret.Redacted, s.String())
	assert.Equal(t, `vipps.Secret("[REDACTED]")`, fmt.Sprintf("%#v", s))
	assert.Equal(t, `"[REDACTED]"`, fmt.Sprintf("%q", s))
}

func TestSecretEncoders(t *testing.T) {
	s := secret.Secret(value)
	b, err := json.Marshal(struct {
		S secret.Secret `json:"s"`
		M map[string]secret.Secret
	}{S: s, M: map[string]secret.Secret{"k": s}})
	require.NoError(t, err)
	assert.False(t, leaks(string(b)), "%s", b)
	assert.Contains(t, string(b), `"s":"[REDACTED]"`)

	x, err := xml.Marshal(xmlDoc{S: s, A: s})
	require.NoError(t, err)
	assert.False(t, leaks(string(x)), "%s", x)

	txt, err := s.MarshalText()
	require.NoError(t, err)
	assert.Equal(t, secret.Redacted, string(txt))
}

type xmlDoc struct {
	S secret.Secret `xml:"s"`
	A secret.Secret `xml:"a,attr"`
}

// Known limitation (reported): the type's doc says MarshalText covers map keys,
// but encoding/json writes keys of string kind verbatim, without MarshalText, so
// a Secret used as a JSON map key is written in the clear. No method on a string
// type can change that; the doc must say "never a map key". This test pins the
// behaviour: if it starts failing, keys are redacted now and the doc can say so.
func TestSecretAsJSONMapKey(t *testing.T) {
	s := secret.Secret(value)
	assert.Equal(t, "map[[REDACTED]:1]", fmt.Sprint(map[secret.Secret]int{s: 1}), "fmt redacts keys")
	b, err := json.Marshal(map[secret.Secret]int{s: 1})
	require.NoError(t, err)
	assert.Contains(t, string(b), value, "encoding/json writes string-kind map keys verbatim")
}

func TestSecretSlog(t *testing.T) {
	s := secret.Secret(value)
	for name, mk := range map[string]func(*bytes.Buffer) slog.Handler{
		"text": func(b *bytes.Buffer) slog.Handler {
			return slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})
		},
		"json": func(b *bytes.Buffer) slog.Handler {
			return slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})
		},
	} {
		var buf bytes.Buffer
		l := slog.New(mk(&buf))
		l.Debug("secret", "s", s, "ptr", &s, "struct", holder{Secret: s, Ptr: &s}, slog.Any("any", s), slog.Group("g", "s", s))
		l.With("w", s).Info("with")
		l.Info(fmt.Sprint(s))
		out := buf.String()
		assert.False(t, leaks(out), "%s: %s", name, out)
		assert.Contains(t, out, secret.Redacted, name)
	}
}

func TestRevealAndEmpty(t *testing.T) {
	s := secret.Secret(value)
	assert.Equal(t, value, s.Reveal())
	assert.False(t, s.IsZero())
	var empty secret.Secret
	assert.True(t, empty.IsZero())
	assert.Equal(t, "", fmt.Sprint(empty), "an empty secret prints empty, so a missing credential shows")
	b, _ := json.Marshal(empty)
	assert.Equal(t, `""`, string(b))

	var back struct{ S secret.Secret }
	require.NoError(t, json.Unmarshal([]byte(`{"S":"`+value+`"}`), &back))
	assert.Equal(t, value, back.S.Reveal(), "decoding fills the value")
}
