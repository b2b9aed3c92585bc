package portaltest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/vippsportal/sdk/vipps"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type sim struct {
	*Server
	t      testing.TB
	clock  *ManualClock
	tokens map[string]string
}

func newSim(t testing.TB, opts ...Option) *sim {
	t.Helper()
	clock := NewManualClock(t0)
	s := NewServer(append([]Option{WithClock(clock.Now), WithRandSeed(1)}, opts...)...)
	t.Cleanup(s.Close)
	return &sim{Server: s, t: t, clock: clock, tokens: map[string]string{}}
}

type res struct {
	status int
	header http.Header
	body   []byte
}

func (r res) json() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(r.body, &m)
	return m
}

func (r res) problem() string {
	if t, ok := r.json()["type"].(string); ok && len(t) > len(problemBase) {
		return t[len(problemBase):]
	}
	return ""
}

// raw sends one request; body may be nil, a []byte/string (sent as is) or a value to encode.
func (s *sim) raw(method, path string, body any, hdr map[string]string) res {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewReader([]byte(b))
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return res{resp.StatusCode, resp.Header, data}
}

func (s *sim) tokenFor(c vipps.Credentials) res {
	return s.raw("POST", "/accesstoken/get", nil, map[string]string{"client_id": c.ClientID, "client_secret": c.ClientSecret.Reveal(),
		"Ocp-Apim-Subscription-Key": c.SubscriptionKey.Reveal()})
}

func (s *sim) token(c vipps.Credentials) string {
	s.t.Helper()
	if tok, ok := s.tokens[c.ClientID+"/"+c.ClientSecret.Reveal()]; ok {
		return tok
	}
	r := s.tokenFor(c)
	if r.status != 200 {
		s.t.Fatalf("token: %d %s", r.status, r.body)
	}
	tok := r.json()["access_token"].(string)
	s.tokens[c.ClientID+"/"+c.ClientSecret.Reveal()] = tok
	return tok
}

// call sends an authenticated request as c; extra headers are name, value pairs.
func (s *sim) call(c vipps.Credentials, method, path string, body any, hdr ...string) res {
	s.t.Helper()
	h := map[string]string{"Authorization": "Bearer " + s.token(c), "Ocp-Apim-Subscription-Key": c.SubscriptionKey.Reveal()}
	for i := 0; i+1 < len(hdr); i += 2 {
		h[hdr[i]] = hdr[i+1]
	}
	return s.raw(method, path, body, h)
}

func (s *sim) admin() vipps.Credentials   { return s.UserCredentials(AdminUserID) }
func (s *sim) dev() vipps.Credentials     { return s.UserCredentials(DeveloperUserID) }
func (s *sim) partner() vipps.Credentials { return s.PartnerCredentials(PartnerID) }

func expect(t testing.TB, r res, status int, problem string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if problem != "" && r.problem() != problem {
		t.Fatalf("problem %q, want %q: %s", r.problem(), problem, r.body)
	}
}
