package core_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vippsportal/sdk/internal/core"
)

// fuzzSecret reports whether s is a usable secret for the redaction check: long
// enough to redact, and made of characters that neither the redaction text
// "[REDACTED]" nor the snippet's "?" and "..." could produce.
func fuzzSecret(s string) bool {
	if len(s) < 4 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

func FuzzDecodeError(f *testing.F) {
	f.Add(403, []byte(`{"type":"https://x/problems/keys-hidden","title":"Forbidden","status":403,"detail":"no"}`), "s3cr3t_value")
	f.Add(401, []byte(`{"statusCode":401,"message":"bad key s3cr3t_value"}`), "s3cr3t_value")
	f.Add(400, []byte(`{"error":"invalid_client","error_description":"secret s3cr3t_value is wrong"}`), "s3cr3t_value")
	f.Add(502, []byte("<html><body>Bad Gateway</body></html>"), "abcd")
	f.Add(500, []byte(`{"type":"https://x/problems/internal","title":"Int`), "abcd")
	f.Add(503, []byte(""), "abcd")
	f.Add(429, []byte(`{"title":"t","status":429,"detail":"\u0073\u0033cr3t_value"}`), "s3cr3t_value")
	f.Add(200, []byte(strings.Repeat("é", 400)), "abcd")
	f.Fuzz(func(t *testing.T, status int, body []byte, sec string) {
		if status < 0 {
			status = -status
		}
		status = 100 + status%500
		redact := func(s string) string { return s }
		check := fuzzSecret(sec)
		if check {
			redact = func(s string) string { return strings.ReplaceAll(s, sec, "[REDACTED]") }
		}
		h := http.Header{}
		h.Set("Content-Type", "application/problem+json")
		e := core.DecodeError(status, h, body, redact)
		if e == nil {
			t.Fatal("nil *Error")
		}
		if e.StatusCode != status {
			t.Fatalf("status %d, want %d", e.StatusCode, status)
		}
		if len(e.Body) > core.MaxSnippet+3 {
			t.Fatalf("snippet of %d bytes exceeds MaxSnippet+3", len(e.Body))
		}
		if !utf8.ValidString(e.Body) {
			t.Fatalf("snippet is not valid UTF-8: %q", e.Body)
		}
		if e.RetryAfter < 0 {
			t.Fatalf("negative RetryAfter %v", e.RetryAfter)
		}
		e.Method, e.Path = "GET", "/p"
		_ = e.Error()
		if !check {
			return
		}
		// Error() is made of these fields; it is not searched itself because its
		// strconv.Quote of the snippet can spell a secret from escapes ("\x00"+"00").
		fields := map[string]string{"Problem": e.Problem, "Type": e.Type, "Title": e.Title, "Detail": e.Detail,
			"Instance": e.Instance, "Body": e.Body}
		for i, x := range e.ExtraDetails {
			fields["ExtraDetails.Key"+string(rune('0'+i%10))] = x.Key
			fields["ExtraDetails.Value"+string(rune('0'+i%10))] = x.Value
		}
		for name, v := range fields {
			if strings.Contains(v, sec) {
				t.Fatalf("secret %q survives in %s: %q", sec, name, v)
			}
		}
	})
}

func FuzzParseToken(f *testing.F) {
	f.Add([]byte(`{"token_type":"Bearer","expires_in":"3600","expires_on":"1767312000","access_token":"eyJ"}`))
	f.Add([]byte(`{"token_type":"Bearer","expires_in":3600,"expires_on":1767312000,"access_token":"eyJ"}`))
	f.Add([]byte(`{"access_token":"x","expires_in":"1e9"}`))
	f.Add([]byte(`{"access_token":"x","expires_in":"-0"}`))
	f.Add([]byte(`{"access_token":"x","expires_in":null,"expires_on":"99999999999999999999"}`))
	f.Add([]byte(`{"access_token":1234}`))
	f.Add([]byte(`[]`))
	recv := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		tok, err := core.ParseToken(body, recv)
		if err != nil {
			if tok != nil {
				t.Fatal("token and error")
			}
			return
		}
		if tok.AccessToken == "" {
			t.Fatal("accepted a token answer without access_token")
		}
		if tok.ExpiresIn < 0 {
			t.Fatalf("negative ExpiresIn %v", tok.ExpiresIn)
		}
		if !tok.Received.Equal(recv) {
			t.Fatal("Received is not the receive time")
		}
		if vu := tok.ValidUntil(); vu.Before(recv) || vu.After(recv.Add(tok.ExpiresIn)) {
			t.Fatalf("ValidUntil %v outside [received, received+expires_in]", vu)
		}
	})
}

func FuzzParseRetryAfter(f *testing.F) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).Unix()
	for _, v := range []string{"", "0", "5", "-1", "120", "9223372036854775807", "99999999999999999999", "+3", " 7 ",
		"Sun, 01 Mar 2026 12:00:30 GMT", "Sunday, 01-Mar-26 12:00:30 GMT", "Sun Mar  1 12:00:30 2026", "Mon, 01 Jan 2001 00:00:00 GMT",
		"Fri, 31 Dec 9999 23:59:59 GMT", "soon"} {
		f.Add(v, now)
	}
	f.Fuzz(func(t *testing.T, v string, unix int64) {
		n := time.Unix(unix%(1<<36), 0) // years 0..4000 or so
		d := core.ParseRetryAfter(v, n)
		if d < 0 {
			t.Fatalf("ParseRetryAfter(%q, %v) = %v, negative", v, n, d)
		}
	})
}
