package webhooks_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/vipps"
	"github.com/vippsportal/sdk/webhooks"
)

// Vipps' published sample of the computation, from the Webhooks API guide's
// "Request authentication" page:
// https://developer.vippsmobilepay.com/docs/APIs/webhooks-api/request-authentication/
// (source: github.com/vippsas/webhooks-api, request-authentication.md). The
// values are consistent with each other: the body hashes to the given
// x-ms-content-sha256, and the secret's UTF-8 bytes (not its base64 decoding,
// though it looks like base64) sign the given text to the given signature.
const (
	sampleSecret = "A0+AeKBRG2KRGvnNwJpQlb6IJFk48CKXCIcrLoHncVJKDILsQSxS6NWCccwWm6r6FhGKhiHTBsG2wo/xU6FY/A=="
	sampleURL    = "https://webhook.site/e2cee29b-012e-4f1d-8ef4-e95fd74a7a63"
	sampleBody   = `{"some-unique-content":"ee6e441b-cc4a-46f8-895d-a5af79bcc233/hello-world"}`
	sampleDate   = "Thu, 30 Mar 2023 08:38:32 GMT"
	sampleHash   = "lNlsp1XA03N34HrQsVzPgJKtC+r7l/RBF4V3JQUWMj4="
	sampleAuth   = "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=agAiSyogQbDHpeucoNwYz+yAr5nJ+v+zasdkSbqzv+U="
)

func sampleHeader() http.Header {
	h := http.Header{}
	h.Set("x-ms-date", sampleDate)
	h.Set("x-ms-content-sha256", sampleHash)
	h.Set("Authorization", sampleAuth)
	return h
}

func sampleKey() webhooks.Key {
	return webhooks.Key{URL: sampleURL, Secrets: []vipps.Secret{sampleSecret}}
}

func TestVerifyAcceptsVippsPublishedSample(t *testing.T) {
	require.NoError(t, webhooks.Verify(sampleHeader(), []byte(sampleBody), sampleKey()))
}

// Headers as a receiver may build them by hand, in lowercase, verify too.
func TestVerifyReadsHeadersInAnyCase(t *testing.T) {
	h := http.Header{"x-ms-date": {sampleDate}, "x-ms-content-sha256": {sampleHash}, "authorization": {sampleAuth}}
	require.NoError(t, webhooks.Verify(h, []byte(sampleBody), sampleKey()))
}

func TestSignReproducesVippsPublishedSample(t *testing.T) {
	date, err := http.ParseTime(sampleDate)
	require.NoError(t, err)
	h := webhooks.Sign(sampleURL, sampleSecret, []byte(sampleBody), date)
	assert.Equal(t, sampleHeader(), h)
	assert.Len(t, h, 3, "exactly the three headers of a notification")
}

// An independent computation with crypto/hmac over the contract's text,
// for a URL with a port and a query, matches what Sign writes.
func TestSignFollowsTheContractsText(t *testing.T) {
	const url = "https://hooks.example.com:8080/vipps/notify?tenant=acme&x=1"
	body := []byte(`{"msn":"123456"}`)
	date := time.Date(2026, 5, 4, 3, 2, 1, 0, time.FixedZone("CEST", 2*3600))
	h := webhooks.Sign(url, "s3cret", body, date)

	sum := sha256.Sum256(body)
	hash := base64.StdEncoding.EncodeToString(sum[:])
	m := hmac.New(sha256.New, []byte("s3cret"))
	m.Write([]byte("POST\n/vipps/notify?tenant=acme&x=1\nMon, 04 May 2026 01:02:01 GMT;hooks.example.com:8080;" + hash))
	assert.Equal(t, "Mon, 04 May 2026 01:02:01 GMT", h.Get("x-ms-date"), "RFC 1123 in GMT")
	assert.Equal(t, hash, h.Get("x-ms-content-sha256"))
	assert.Equal(t, "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature="+base64.StdEncoding.EncodeToString(m.Sum(nil)), h.Get("Authorization"))
}

func TestSignVerifyRoundTrip(t *testing.T) {
	for _, url := range []string{
		"https://example.com/vipps",
		"https://example.com",                 // no path: "/" is signed
		"https://example.com?x=1",             // a query without a path
		"https://example.com:443/a/b%2Fc?q=1", // an explicit port is part of the host; the path is signed as written
		"http://127.0.0.1:41234/hook",         // the simulator delivering to a local receiver
	} {
		t.Run(url, func(t *testing.T) {
			body := []byte(`{"reference":"order-1"}`)
			h := webhooks.Sign(url, "s3cret", body, time.Now())
			require.NoError(t, webhooks.Verify(h, body, webhooks.Key{URL: url, Secrets: []vipps.Secret{"s3cret"}}))
		})
	}
}

func TestVerifyAcceptsAnyOfTheSecrets(t *testing.T) {
	body := []byte(`{"reference":"order-1"}`)
	key := webhooks.Key{URL: sampleURL, Secrets: []vipps.Secret{"old-secret", "new-secret"}}
	for _, s := range key.Secrets {
		require.NoError(t, webhooks.Verify(webhooks.Sign(sampleURL, s, body, time.Now()), body, key), "signed with %s", s.Reveal())
	}
	err := webhooks.Verify(webhooks.Sign(sampleURL, "other", body, time.Now()), body, key)
	requireReason(t, err, webhooks.ReasonSignature, "")
	assert.Contains(t, err.Error(), "tried 2 secret(s)")
}

func requireReason(t *testing.T, err error, reason webhooks.Reason, header string) *webhooks.NotAuthenticError {
	t.Helper()
	require.ErrorIs(t, err, webhooks.ErrNotAuthentic)
	var na *webhooks.NotAuthenticError
	require.ErrorAs(t, err, &na)
	assert.Equal(t, reason, na.Reason, "%v", err)
	assert.Equal(t, header, na.Header)
	return na
}

func TestVerifyReasons(t *testing.T) {
	body := []byte(sampleBody)
	with := func(name, value string) http.Header {
		h := sampleHeader()
		if value == "" {
			h.Del(name)
		} else {
			h.Set(name, value)
		}
		return h
	}
	twice := sampleHeader()
	twice.Add("x-ms-date", sampleDate)
	for name, c := range map[string]struct {
		header http.Header
		body   []byte
		key    webhooks.Key
		reason webhooks.Reason
		field  string
	}{
		"no date":               {with("x-ms-date", ""), body, sampleKey(), webhooks.ReasonMissingHeader, "x-ms-date"},
		"no hash":               {with("x-ms-content-sha256", ""), body, sampleKey(), webhooks.ReasonMissingHeader, "x-ms-content-sha256"},
		"no authorization":      {with("Authorization", ""), body, sampleKey(), webhooks.ReasonMissingHeader, "Authorization"},
		"date twice":            {twice, body, sampleKey(), webhooks.ReasonMalformedHeader, "x-ms-date"},
		"bearer instead":        {with("Authorization", "Bearer abc"), body, sampleKey(), webhooks.ReasonMalformedHeader, "Authorization"},
		"other signed headers":  {with("Authorization", strings.Replace(sampleAuth, "x-ms-date;host", "host;x-ms-date", 1)), body, sampleKey(), webhooks.ReasonMalformedHeader, "Authorization"},
		"signature not base64":  {with("Authorization", strings.Replace(sampleAuth, "agAi", "ag*i", 1)), body, sampleKey(), webhooks.ReasonMalformedHeader, "Authorization"},
		"signature of 31 bytes": {with("Authorization", "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature="+base64.StdEncoding.EncodeToString(make([]byte, 31))), body, sampleKey(), webhooks.ReasonMalformedHeader, "Authorization"},
		"hash not base64":       {with("x-ms-content-sha256", "not a hash"), body, sampleKey(), webhooks.ReasonMalformedHeader, "x-ms-content-sha256"},
		"body changed":          {sampleHeader(), append([]byte(sampleBody), ' '), sampleKey(), webhooks.ReasonContentHash, "x-ms-content-sha256"},
		"date changed":          {with("x-ms-date", "Thu, 30 Mar 2023 08:38:33 GMT"), body, sampleKey(), webhooks.ReasonSignature, ""},
		"other registered URL":  {sampleHeader(), body, webhooks.Key{URL: sampleURL + "x", Secrets: []vipps.Secret{sampleSecret}}, webhooks.ReasonSignature, ""},
		"secret base64-decoded": {sampleHeader(), body, webhooks.Key{URL: sampleURL, Secrets: []vipps.Secret{vipps.Secret(mustDecode(t, sampleSecret))}}, webhooks.ReasonSignature, ""},
		"no secrets":            {sampleHeader(), body, webhooks.Key{URL: sampleURL}, webhooks.ReasonUnusableKey, ""},
		"relative URL":          {sampleHeader(), body, webhooks.Key{URL: "/e2cee29b", Secrets: []vipps.Secret{sampleSecret}}, webhooks.ReasonUnusableKey, ""},
		"URL with user info":    {sampleHeader(), body, webhooks.Key{URL: "https://u:p@webhook.site/x", Secrets: []vipps.Secret{sampleSecret}}, webhooks.ReasonUnusableKey, ""},
		"URL of another scheme": {sampleHeader(), body, webhooks.Key{URL: "ftp://webhook.site/x", Secrets: []vipps.Secret{sampleSecret}}, webhooks.ReasonUnusableKey, ""},
		"URL with a fragment":   {sampleHeader(), body, webhooks.Key{URL: sampleURL + "#f", Secrets: []vipps.Secret{sampleSecret}}, webhooks.ReasonUnusableKey, ""},
	} {
		t.Run(name, func(t *testing.T) {
			err := webhooks.Verify(c.header, c.body, c.key)
			requireReason(t, err, c.reason, c.field)
			for _, secretish := range []string{sampleSecret, "agAiSyogQbDHpeucoNwYz", sampleHash} {
				assert.NotContains(t, err.Error(), secretish, "no secret, signature or hash in the error")
			}
		})
	}
}

// An empty secret (an unset environment variable, say) would let anyone
// sign: a Key holding one verifies nothing, not even what it signed.
func TestVerifyRefusesAKeyWithAnEmptySecret(t *testing.T) {
	body := []byte(`{}`)
	forged := webhooks.Sign(sampleURL, "", body, time.Now())
	err := webhooks.Verify(forged, body, webhooks.Key{URL: sampleURL, Secrets: []vipps.Secret{""}})
	na := requireReason(t, err, webhooks.ReasonUnusableKey, "")
	assert.Equal(t, "Key.Secrets[0] is empty", na.Detail)
}

func mustDecode(t *testing.T, s string) string {
	b, err := base64.StdEncoding.DecodeString(s)
	require.NoError(t, err)
	return string(b)
}

// The date is checked only when MaxSkew is set, against the clock of a
// synctest bubble (fake time: the test waits for nothing).
func TestVerifyMaxSkew(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		body := []byte(`{}`)
		key := webhooks.Key{URL: sampleURL, Secrets: []vipps.Secret{"s"}, MaxSkew: 5 * time.Minute}
		signed := webhooks.Sign(sampleURL, "s", body, time.Now())
		require.NoError(t, webhooks.Verify(signed, body, key))

		time.Sleep(5*time.Minute + time.Second)
		na := requireReason(t, webhooks.Verify(signed, body, key), webhooks.ReasonStaleDate, "x-ms-date")
		assert.Contains(t, na.Detail, "5m1s old")
		key.MaxSkew = 0
		require.NoError(t, webhooks.Verify(signed, body, key), "no bound, no date check")

		key.MaxSkew = time.Minute
		future := webhooks.Sign(sampleURL, "s", body, time.Now().Add(2*time.Minute))
		na = requireReason(t, webhooks.Verify(future, body, key), webhooks.ReasonStaleDate, "x-ms-date")
		assert.Contains(t, na.Detail, "in the future")

		bad := webhooks.Sign(sampleURL, "s", body, time.Now())
		bad.Set("x-ms-date", "yesterday")
		requireReason(t, webhooks.Verify(bad, body, key), webhooks.ReasonMalformedHeader, "x-ms-date")
	})
}

// FuzzVerifyRefusesAnyFlippedByte flips one byte (XOR with a non-zero value)
// of one part of a correctly signed notification: the body, x-ms-date,
// x-ms-content-sha256, the Authorization header (its signature included),
// the registered URL's host, its path or query, or the secret. Every flip is
// refused.
func FuzzVerifyRefusesAnyFlippedByte(f *testing.F) {
	const (
		host = "hooks.example.com:8080"
		pq   = "/vipps/notify?tenant=acme"
	)
	for part := range uint8(7) {
		for _, pos := range []uint16{0, 5, 43, 65535} {
			f.Add(part, pos, byte(0x01))
			f.Add(part, pos, byte(0x20))
		}
	}
	f.Fuzz(func(t *testing.T, part uint8, pos uint16, xor byte) {
		if xor == 0 {
			xor = 0x80
		}
		flip := func(s string) string {
			b := []byte(s)
			b[int(pos)%len(b)] ^= xor
			return string(b)
		}
		secret := sampleSecret
		body := sampleBody
		h, p := host, pq
		header := webhooks.Sign("https://"+host+pq, vipps.Secret(secret), []byte(body), time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
		require.NoError(t, webhooks.Verify(header, []byte(body), webhooks.Key{URL: "https://" + h + p, Secrets: []vipps.Secret{vipps.Secret(secret)}}))
		switch part % 7 {
		case 0:
			body = flip(body)
		case 1:
			header.Set("x-ms-date", flip(header.Get("x-ms-date")))
		case 2:
			header.Set("x-ms-content-sha256", flip(header.Get("x-ms-content-sha256")))
		case 3:
			header.Set("Authorization", flip(header.Get("Authorization")))
		case 4:
			h = flip(h)
		case 5:
			p = flip(p)
		case 6:
			secret = flip(secret)
		}
		err := webhooks.Verify(header, []byte(body), webhooks.Key{URL: "https://" + h + p, Secrets: []vipps.Secret{vipps.Secret(secret)}})
		require.ErrorIs(t, err, webhooks.ErrNotAuthentic, "part %d, byte %d ^ %#x", part%7, int(pos), xor)
	})
}
