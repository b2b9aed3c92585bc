package perf

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"testing"
	"time"

	"github.com/vippsportal/sdk/vipps"
	"github.com/vippsportal/sdk/webhooks"
)

// The webhook cases verify one signed notification: the SDK's webhooks.Verify
// against a baseline that a careful user writes with crypto/hmac and
// crypto/sha256 for one fixed URL (its host and path known in advance): hash
// the body, compare, build the same signed text, HMAC it, compare the
// Authorization header. Both run in this process; neither needs the fake
// server.

const (
	hookHost   = "hooks.example.com"
	hookPath   = "/vipps/notify?tenant=acme"
	hookURL    = "https://" + hookHost + hookPath
	hookSecret = "A0+AeKBRG2KRGvnNwJpQlb6IJFk48CKXCIcrLoHncVJKDILsQSxS6NWCccwWm6r6FhGKhiHTBsG2wo/xU6FY/A=="
)

func BenchmarkWebhookVerify1KiB(b *testing.B)  { benchmarkVerify(b, 1<<10) }
func BenchmarkWebhookVerify64KiB(b *testing.B) { benchmarkVerify(b, 64<<10) }

func benchmarkVerify(b *testing.B, size int) {
	body := make([]byte, size)
	for i := range body {
		body[i] = 'a' + byte(i%26)
	}
	header := webhooks.Sign(hookURL, hookSecret, body, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	b.Run("sdk", func(b *testing.B) {
		key := webhooks.Key{URL: hookURL, Secrets: []vipps.Secret{hookSecret}}
		b.ReportAllocs()
		for b.Loop() {
			if err := webhooks.Verify(header, body, key); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("hmac", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !baselineVerify(header, body, hookSecret) {
				b.Fatal("the baseline refused a correctly signed notification")
			}
		}
	})
}

// baselineVerify is the plain computation over the same signed text.
func baselineVerify(h http.Header, body []byte, secret string) bool {
	sum := sha256.Sum256(body)
	hash := base64.StdEncoding.EncodeToString(sum[:])
	if !hmac.Equal([]byte(hash), []byte(h.Get("X-Ms-Content-Sha256"))) {
		return false
	}
	text := "POST\n" + hookPath + "\n" + h.Get("X-Ms-Date") + ";" + hookHost + ";" + hash
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(text))
	want := "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=" + base64.StdEncoding.EncodeToString(m.Sum(nil))
	return hmac.Equal([]byte(want), []byte(h.Get("Authorization")))
}
