package core

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxSnippet bounds the body text an *Error keeps from an answer of unknown shape.
const MaxSnippet = 512

// problemBody is the contract's Problem; gatewayBody the API gateway's 401;
// oauthBody the token endpoint's. DecodeError tells them apart by their fields.
type problemBody struct {
	Type         *string       `json:"type"`
	Title        string        `json:"title"`
	Status       int           `json:"status"`
	Detail       string        `json:"detail"`
	Instance     string        `json:"instance"`
	ExtraDetails []ExtraDetail `json:"extraDetails"`
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
func DecodeError(status int, header http.Header, body []byte, redact func(string) string) *Error {
	e := &Error{StatusCode: status, RetryAfter: ParseRetryAfter(header.Get("Retry-After"), time.Now())}
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
						e.ExtraDetails = append(e.ExtraDetails, ExtraDetail{Key: redact(d.Key), Value: redact(d.Value)})
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
					e.Problem, e.Title = ProblemGateway, redact(g.Message)
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
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		const maxSecs = int64(1<<63-1) / int64(time.Second)
		if secs > maxSecs {
			secs = maxSecs
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
