package portaltest

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzDecodeRequest feeds the strict request decoder arbitrary bodies: it
// must never panic, and what it accepts must satisfy the schema's rules.
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{`{"name":"Shop"}`, `{"name":"x","options":{"recurring":true}}`, `{"name":"x","y":1}`,
		`{"key":"clientId"}`, `{"permissions":["DEVELOPER"]}`, `{"phoneNumber":"+4791234567","name":"A","role":"ASSISTANT"}`,
		`{"businessIdentifier":{"scheme":"business:NO:ORG","id":"1234"},"productType":"LOGIN","annualTurnover":1e3}`, `null`, `[]`, `{"name":"\u0000"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var tu testUnitRequestJSON
		if err := decodeStrict(data, &tu, false); err == nil {
			var m map[string]json.RawMessage
			if json.Unmarshal(data, &m) != nil {
				t.Fatalf("accepted a non-object: %q", data)
			}
			for k := range m {
				if k != "name" && k != "partner" && k != "options" {
					t.Fatalf("accepted unknown field %q", k)
				}
			}
			if _, ok := m["name"]; !ok {
				t.Fatal("accepted without name")
			}
		}
		var inv inviteRequestJSON
		_ = decodeStrict(data, &inv, false)
		var po productOrderRequestJSON
		if decodeStrict(data, &po, false) == nil {
			_ = po.check()
		}
		var g grantRequestJSON
		if decodeStrict(data, &g, false) == nil {
			_ = checkPermissions("permissions", g.Permissions)
		}
		var rg regenerateRequestJSON
		_ = decodeStrict(data, &rg, false)
	})
}

// FuzzLoadSeed: never panics; an accepted seed starts a server whose
// resolved seed loads again.
func FuzzLoadSeed(f *testing.F) {
	f.Add([]byte(goodSeed))
	d, _ := json.Marshal(DefaultSeed())
	f.Add(d)
	f.Add([]byte(`{"merchants":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		seed, err := LoadSeed(bytes.NewReader(data))
		if err != nil {
			return
		}
		s, err := newServer(WithSeed(seed), WithRandSeed(1))
		if err != nil {
			t.Fatalf("a loaded seed was refused by the server: %v", err)
		}
		out, _ := json.Marshal(s.ResolvedSeed())
		if _, err := LoadSeed(bytes.NewReader(out)); err != nil {
			t.Fatalf("resolved seed does not load: %v\n%s", err, out)
		}
	})
}
