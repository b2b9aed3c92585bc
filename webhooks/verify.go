package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/vippsportal/sdk/vipps"
)

// Key is what a receiver verifies the notifications of one registration with.
// Printing it or encoding it as JSON shows no secret ([vipps.Secret] redacts).
type Key struct {
	// URL is the registration's URL, exactly as it was registered (as
	// [Service.List] shows it). The signature covers its host (with the port
	// when it has one) and its path and query, not the request's: a proxy in
	// front of the receiver may change those freely, and a request that was
	// sent to another URL is refused.
	URL string
	// Secrets are the registration's signing secrets: one, or two while a
	// secret is being replaced ([Service.RotateSecret]); a notification
	// signed with any of them is authentic.
	Secrets []vipps.Secret
	// MaxSkew, when positive, refuses a notification whose x-ms-date is
	// further than this from the receiver's clock, past or future. Vipps
	// dates each delivery attempt, so a retry carries a fresh date; a bound of
	// a few minutes refuses replays of captured requests. 0 checks no date.
	MaxSkew time.Duration
}

// ErrNotAuthentic matches every error of [Verify]: errors.Is(err, ErrNotAuthentic).
var ErrNotAuthentic = errors.New("webhooks: notification is not authentic")

// Reason says why [Verify] refused a notification.
type Reason string

// The reasons of a [NotAuthenticError].
const (
	ReasonMissingHeader   Reason = "missing header"                 // x-ms-date, x-ms-content-sha256 or Authorization is absent or empty
	ReasonMalformedHeader Reason = "malformed header"               // present, but not in the scheme's form (or sent twice)
	ReasonStaleDate       Reason = "date outside the allowed skew"  // x-ms-date is further from now than Key.MaxSkew
	ReasonContentHash     Reason = "body does not match its hash"   // x-ms-content-sha256 is not the SHA-256 of the body
	ReasonSignature       Reason = "signature matches no secret"    // no secret of the Key signed this date, URL and hash
	ReasonUnusableKey     Reason = "the key cannot verify anything" // Key.URL is not an absolute http(s) URL, or Key.Secrets is empty
)

// NotAuthenticError is a refused notification. Its text names the reason and
// the header concerned, never a secret, the signature or the content hash.
type NotAuthenticError struct {
	Reason Reason
	Header string // the header concerned, in the contract's spelling ("x-ms-date"), or ""
	Detail string // what was wrong, in words; "" when the reason says it all
}

// Error reads "webhooks: notification is not authentic: " and the reason,
// header and detail.
func (e *NotAuthenticError) Error() string {
	s := "webhooks: notification is not authentic: " + string(e.Reason)
	if e.Header != "" {
		s += " " + e.Header
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Is matches [ErrNotAuthentic].
func (e *NotAuthenticError) Is(target error) bool { return target == ErrNotAuthentic }

// The notification's headers, in the contract's spelling and as net/http
// stores them (canonical).
const (
	hdrDate = "x-ms-date"
	hdrHash = "x-ms-content-sha256"
	hdrAuth = "Authorization"

	canonDate = "X-Ms-Date"
	canonHash = "X-Ms-Content-Sha256"

	authPrefix = "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature="
)

// Verify checks that a notification was signed by Vipps for the
// registration key describes, following the Webhooks API's scheme: the
// signature is base64 of HMAC-SHA256, keyed with a secret's UTF-8 bytes, of
//
//	POST\n<path and query of Key.URL>\n<x-ms-date>;<host of Key.URL>;<x-ms-content-sha256>
//
// and x-ms-content-sha256 is base64 of the SHA-256 of body, which Verify
// recomputes. header is the request's (r.Header); body is the request body
// exactly as received. Both comparisons take constant time.
//
// Every failure is a [*NotAuthenticError] (errors.Is(err, [ErrNotAuthentic]))
// whose Reason says what failed. Answer such a request with 401 and act on
// nothing in it; [Handler] does all of this.
func Verify(header http.Header, body []byte, key Key) error {
	return verify(header, body, &key)
}

func verify(h http.Header, body []byte, k *Key) error {
	host, pathQuery, ok := splitURL(k.URL)
	if !ok {
		return &NotAuthenticError{Reason: ReasonUnusableKey, Detail: "Key.URL must be the absolute http(s) URL that was registered, without user info or fragment"}
	}
	if len(k.Secrets) == 0 {
		return &NotAuthenticError{Reason: ReasonUnusableKey, Detail: "Key.Secrets is empty"}
	}
	for i, s := range k.Secrets {
		if s.IsZero() { // an unset variable, say: anyone could sign with it
			return &NotAuthenticError{Reason: ReasonUnusableKey, Detail: fmt.Sprintf("Key.Secrets[%d] is empty", i)}
		}
	}
	date, err := headerValue(h, canonDate, hdrDate)
	if err != nil {
		return err
	}
	hash, err := headerValue(h, canonHash, hdrHash)
	if err != nil {
		return err
	}
	auth, err := headerValue(h, hdrAuth, hdrAuth)
	if err != nil {
		return err
	}
	sig, ok := strings.CutPrefix(auth, authPrefix)
	var claimed [sha256.Size]byte
	if !ok || !decodeSum(sig, &claimed) {
		return &NotAuthenticError{Reason: ReasonMalformedHeader, Header: hdrAuth,
			Detail: "want HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=<base64 of 32 bytes>"}
	}
	if k.MaxSkew > 0 {
		if err := checkDate(date, time.Now(), k.MaxSkew); err != nil {
			return err
		}
	}
	var sent [sha256.Size]byte
	if !decodeSum(hash, &sent) {
		return &NotAuthenticError{Reason: ReasonMalformedHeader, Header: hdrHash, Detail: "want base64 of 32 bytes"}
	}
	computed := sha256.Sum256(body)
	if !hmac.Equal(computed[:], sent[:]) {
		return &NotAuthenticError{Reason: ReasonContentHash, Header: hdrHash}
	}
	text := signedText(pathQuery, date, host, hash)
	var sum [sha256.Size]byte
	for _, s := range k.Secrets {
		if hmac.Equal(signature(s, text, sum[:0]), claimed[:]) {
			return nil
		}
	}
	return &NotAuthenticError{Reason: ReasonSignature, Detail: fmt.Sprintf("tried %d secret(s) for Key.URL's host, path and query", len(k.Secrets))}
}

// headerValue is the one value of a header: looked up in net/http's
// canonical form first, then in any case (headers built by hand).
func headerValue(h http.Header, canonical, name string) (string, error) {
	v, ok := h[canonical]
	if !ok {
		for k, vs := range h {
			if strings.EqualFold(k, canonical) {
				v, ok = vs, true
				break
			}
		}
	}
	switch {
	case !ok || len(v) == 0 || v[0] == "":
		return "", &NotAuthenticError{Reason: ReasonMissingHeader, Header: name}
	case len(v) > 1:
		return "", &NotAuthenticError{Reason: ReasonMalformedHeader, Header: name, Detail: "sent more than once"}
	}
	return v[0], nil
}

// checkDate refuses a date that does not parse or lies further than maxSkew from now.
func checkDate(date string, now time.Time, maxSkew time.Duration) error {
	t, err := http.ParseTime(date)
	if err != nil {
		return &NotAuthenticError{Reason: ReasonMalformedHeader, Header: hdrDate, Detail: "want an RFC 1123 date such as " + http.TimeFormat}
	}
	skew := now.Sub(t)
	when := "old"
	if skew < 0 {
		skew, when = -skew, "in the future"
	}
	if skew > maxSkew {
		return &NotAuthenticError{Reason: ReasonStaleDate, Header: hdrDate,
			Detail: fmt.Sprintf("%s is %s %s (Key.MaxSkew %s)", date, skew.Round(time.Second), when, maxSkew)}
	}
	return nil
}

// decodeSum decodes the standard base64 of exactly 32 bytes into dst
// without allocating.
func decodeSum(s string, dst *[sha256.Size]byte) bool {
	const encLen = 44 // base64.StdEncoding.EncodedLen(sha256.Size)
	if len(s) != encLen {
		return false
	}
	var src [encLen]byte
	copy(src[:], s)
	var out [sha256.Size + 1]byte // a malformed 44 characters may decode to 33 bytes
	n, err := strictBase64.Decode(out[:], src[:])
	if err != nil || n != sha256.Size {
		return false
	}
	copy(dst[:], out[:n])
	return true
}

// strictBase64 refuses non-zero padding bits, so that each 32-byte value has
// exactly one spelling and any changed character is a different value.
var strictBase64 = base64.StdEncoding.Strict()

// splitURL returns the host (with its port, as written) and the path and
// query ("/" when the path is empty) of an absolute http(s) URL as text:
// exactly the parts the sender signs, with no normalisation (url.Parse would
// re-escape the path). ok is false for anything else.
func splitURL(raw string) (host, pathQuery string, ok bool) {
	scheme, rest, found := strings.Cut(raw, "://")
	if !found || !strings.EqualFold(scheme, "https") && !strings.EqualFold(scheme, "http") {
		return "", "", false
	}
	host, pathQuery = rest, "/"
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		host, pathQuery = rest[:i], rest[i:]
	}
	if host == "" || strings.ContainsAny(host, "@ ") || strings.Contains(pathQuery, "#") {
		return "", "", false
	}
	if pathQuery[0] == '?' {
		pathQuery = "/" + pathQuery
	}
	return host, pathQuery, true
}

// signedText is the text the signature covers.
func signedText(pathQuery, date, host, hash string) []byte {
	b := make([]byte, 0, len("POST\n\n;;")+len(pathQuery)+len(date)+len(host)+len(hash))
	b = append(b, "POST\n"...)
	b = append(b, pathQuery...)
	b = append(b, '\n')
	b = append(b, date...)
	b = append(b, ';')
	b = append(b, host...)
	b = append(b, ';')
	return append(b, hash...)
}

// signature appends HMAC-SHA256 of text, keyed with secret's UTF-8 bytes, to dst.
func signature(secret vipps.Secret, text, dst []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret.Reveal()))
	m.Write(text)
	return m.Sum(dst)
}

// Sign returns the three headers Vipps sends with a notification of body to
// the registration of url with secret, dated date: x-ms-date (RFC 1123, GMT),
// x-ms-content-sha256 and Authorization. It is for tests of your own
// receiver: set them on a request to your handler, as Vipps would.
//
// url is the registered URL, as [Key.URL] will hold it. Sign checks nothing:
// headers signed for a URL that is not an absolute http(s) URL verify nowhere.
func Sign(url string, secret vipps.Secret, body []byte, date time.Time) http.Header {
	host, pathQuery, _ := splitURL(url)
	sum := sha256.Sum256(body)
	hash := base64.StdEncoding.EncodeToString(sum[:])
	d := date.UTC().Format(http.TimeFormat)
	var sig [sha256.Size]byte
	mac := signature(secret, signedText(pathQuery, d, host, hash), sig[:0])
	return http.Header{
		canonDate:       {d},
		canonHash:       {hash},
		"Authorization": {authPrefix + base64.StdEncoding.EncodeToString(mac)},
	}
}
