package core

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vippsportal/sdk/vipps"
)

// MaxSnippet bounds the body text an *Error keeps from an answer of unknown shape.
const MaxSnippet = 512

// problemBody is the contract's Problem; gatewayBody the API gateway's 401;
// oauthBody the token endpoint's. DecodeError tells them apart by their fields.
type problemBody struct {
	Type         *string             `json:"type"`
	Title        string              `json:"title"`
	Status       int                 `json:"status"`
	Detail       string              `json:"detail"`
	Instance     string              `json:"instance"`
	ExtraDetails []vipps.ExtraDetail `json:"extraDetails"`
}

type gatewayBody struct {
	StatusCode *int   `json:"statusCode"`
	Message    string `json:"message"`
}

type oauthBody struct {
	Error       *string `json:"error"`
	Description string  `json:"error_description"`
}

// DecodeError turns an error answer into an *Error by the body's shape, not by
// its Content-Type alone: proxies and gateways answer with whatever they like.
// redact removes secret values from any text kept from the body.
func DecodeError(status int, header http.Header, body []byte, redact func(string) string) *vipps.Error {
	e := &vipps.Error{StatusCode: status, RetryAfter: ParseRetryAfter(header.Get("Retry-After"), time.Now())}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var probe map[string]json.RawMessage
		if json.Unmarshal(trimmed, &probe) == nil {
			switch {
			case probe["type"] != nil || (probe["title"] != nil && probe["status"] != nil):
				var p problemBody
				if json.Unmarshal(trimmed, &p) == nil {
					if p.Type != nil {
						e.Type = redact(*p.Type)
						e.Problem = ProblemName(e.Type)
					}
					e.Title, e.Detail, e.Instance = redact(p.Title), redact(p.Detail), redact(p.Instance)
					for _, d := range p.ExtraDetails {
						e.ExtraDetails = append(e.ExtraDetails, vipps.ExtraDetail{Key: redact(d.Key), Value: redact(d.Value)})
					}
					return e
				}
			case probe["error"] != nil:
				var o oauthBody
				if json.Unmarshal(trimmed, &o) == nil && o.Error != nil {
					e.Problem, e.Detail = redact(*o.Error), redact(o.Description)
					return e
				}
			case probe["statusCode"] != nil && probe["message"] != nil:
				var g gatewayBody
				if json.Unmarshal(trimmed, &g) == nil {
					e.Problem, e.Title = vipps.ProblemGateway, redact(g.Message)
					return e
				}
			}
		}
	}
	// Redact before cutting: a cut could leave the start of a secret behind.
	e.Body = Snippet([]byte(redact(string(trimmed))), MaxSnippet)
	return e
}

// ProblemName is the last path segment of a Problem type URI (such as
// "provisioning-failed"): the one parser of problem names, used by the error
// decoder and by records that embed a Problem (salesunit.Problem.Name).
func ProblemName(typ string) string {
	typ = strings.TrimRight(typ, "/")
	if i := strings.LastIndexByte(typ, '/'); i >= 0 {
		return typ[i+1:]
	}
	return typ
}

// Snippet returns at most max bytes of b as valid UTF-8 text, with "..." when cut.
func Snippet(b []byte, max int) string {
	cut := len(b) > max
	if cut {
		b = b[:max]
		for len(b) > 0 && !utf8.Valid(b) {
			b = b[:len(b)-1]
		}
	}
	s := strings.ToValidUTF8(string(b), "?")
	if cut {
		s += "..."
	}
	return s
}

// ParseRetryAfter reads a Retry-After value as delta-seconds or an HTTP-date
// (relative to now). Anything else, or a time in the past, is 0.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if allDigits(v) {
		// delta-seconds; one too large to represent is the longest wait there
		// is (too long to honour), not an absent header.
		const maxSecs = int64(1<<63-1) / int64(time.Second)
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil || secs > maxSecs {
			return time.Duration(maxSecs) * time.Second
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// Redactor returns a function that replaces every value in vals (those of at
// least 4 bytes) with the redaction mark, in each form a server may echo it:
// raw; URL-encoded (QueryEscape and PathEscape, any hex case, '+' for space);
// JSON-escaped (the short escapes and \uXXXX of any character, in any mix).
func Redactor(vals ...string) func(string) string {
	var res []*regexp.Regexp
	var raw []string
	for _, v := range vals {
		if len(v) < 4 {
			continue
		}
		raw = append(raw, v)
		res = append(res, regexp.MustCompile(anyEncoding(v)))
	}
	return func(s string) string {
		for i, re := range res {
			s = strings.ReplaceAll(s, raw[i], vipps.Redacted) // the common case, cheaply
			if strings.ContainsAny(s, "%\\+") {
				s = re.ReplaceAllLiteralString(s, vipps.Redacted)
			}
		}
		return s
	}
}

// anyEncoding is a pattern matching v with each character raw or encoded.
func anyEncoding(v string) string {
	var b strings.Builder
	for _, r := range v {
		b.WriteString("(?:")
		b.WriteString(regexp.QuoteMeta(string(r)))
		var enc [4]byte
		n := utf8.EncodeRune(enc[:], r)
		b.WriteByte('|')
		for _, c := range enc[:n] {
			b.WriteString("%" + hexAnyCase(c))
		}
		// JSON's \uXXXX, behind any number of backslashes: an escaped text
		// quoted again (a parse error's %q of a JSON value) doubles them.
		if r <= 0xFFFF {
			b.WriteString(`|\\+u` + hexAnyCase(byte(r>>8)) + hexAnyCase(byte(r)))
		} else {
			hi, lo := utf16Pair(r)
			b.WriteString(`|\\+u` + hexAnyCase(byte(hi>>8)) + hexAnyCase(byte(hi)) + `\\+u` + hexAnyCase(byte(lo>>8)) + hexAnyCase(byte(lo)))
		}
		switch r {
		case ' ':
			b.WriteString(`|\+`)
		case '/', '"':
			b.WriteString(`|\\+` + regexp.QuoteMeta(string(r)))
		case '\\':
			b.WriteString(`|\\+`)
		}
		b.WriteByte(')')
	}
	return b.String()
}

func hexAnyCase(c byte) string {
	const digits = "0123456789abcdef"
	var b strings.Builder
	for _, d := range []byte{digits[c>>4], digits[c&15]} {
		if d >= 'a' {
			b.WriteString("[" + string(d) + string(d-'a'+'A') + "]")
		} else {
			b.WriteByte(d)
		}
	}
	return b.String()
}

func utf16Pair(r rune) (hi, lo uint16) {
	r -= 0x10000
	return uint16(0xD800 + (r>>10)&0x3FF), uint16(0xDC00 + r&0x3FF)
}

// RedactError returns err, or when its text holds a secret, an error with the
// redacted text only (the original, which quotes the secret, is dropped).
func RedactError(err error, redact func(string) string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if red := redact(msg); red != msg {
		return redactedError(red)
	}
	return err
}

type redactedError string

func (e redactedError) Error() string { return string(e) }
