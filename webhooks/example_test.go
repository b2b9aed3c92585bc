package webhooks_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/vippsportal/sdk/vipps"
	"github.com/vippsportal/sdk/webhooks"
)

// Verify a notification with the values of Vipps' own sample (the Webhooks
// API guide's "Request authentication" page).
func ExampleVerify() {
	header := http.Header{}
	header.Set("x-ms-date", "Thu, 30 Mar 2023 08:38:32 GMT")
	header.Set("x-ms-content-sha256", "lNlsp1XA03N34HrQsVzPgJKtC+r7l/RBF4V3JQUWMj4=")
	header.Set("Authorization", "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=agAiSyogQbDHpeucoNwYz+yAr5nJ+v+zasdkSbqzv+U=")
	body := []byte(`{"some-unique-content":"ee6e441b-cc4a-46f8-895d-a5af79bcc233/hello-world"}`)

	key := webhooks.Key{
		URL:     "https://webhook.site/e2cee29b-012e-4f1d-8ef4-e95fd74a7a63", // as registered
		Secrets: []vipps.Secret{"A0+AeKBRG2KRGvnNwJpQlb6IJFk48CKXCIcrLoHncVJKDILsQSxS6NWCccwWm6r6FhGKhiHTBsG2wo/xU6FY/A=="},
	}
	fmt.Println("authentic:", webhooks.Verify(header, body, key) == nil)

	err := webhooks.Verify(header, []byte(`{"some-unique-content":"forged"}`), key)
	var na *webhooks.NotAuthenticError
	if errors.As(err, &na) {
		fmt.Println("refused:", na.Reason)
	}
	// Output:
	// authentic: true
	// refused: body does not match its hash
}

// Test your own receiver with notifications signed as Vipps signs them.
func ExampleSign() {
	const registered = "https://shop.example.com/vipps/webhooks"
	secret := vipps.Secret("the secret Register returned")
	receiver := webhooks.Handler(webhooks.Key{URL: registered, Secrets: []vipps.Secret{secret}},
		func(_ context.Context, ev webhooks.Event) error {
			fmt.Println("got", ev.Name, ev.EPayment.Reference)
			return nil
		})

	body := `{"msn":"123456","reference":"order-1001","pspReference":"7686","name":"CAPTURED",` +
		`"amount":{"currency":"NOK","value":35000},"timestamp":"2026-01-02T03:04:05Z","success":true}`
	req := httptest.NewRequest(http.MethodPost, registered, strings.NewReader(body))
	for name, values := range webhooks.Sign(registered, secret, []byte(body), time.Now()) {
		req.Header[name] = values
	}
	w := httptest.NewRecorder()
	receiver.ServeHTTP(w, req)
	fmt.Println("answered", w.Code)
	// Output:
	// got epayments.payment.captured.v1 order-1001
	// answered 200
}

// Serve notifications on your server's mux: the handler verifies each one
// and answers Vipps; your function only sees authentic events.
func ExampleHandler() {
	key := webhooks.Key{
		URL: "https://shop.example.com/vipps/webhooks", // exactly as registered
		// The registration's secret from your secret store; during a
		// rotation, the old and the new. (An empty one verifies nothing.)
		Secrets: []vipps.Secret{"the secret Register returned"},
		MaxSkew: 5 * time.Minute,
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	mux := http.NewServeMux()
	mux.Handle("POST /vipps/webhooks", webhooks.Handler(key, func(ctx context.Context, ev webhooks.Event) error {
		switch {
		case ev.EPayment != nil:
			logger.InfoContext(ctx, "payment event", "event", ev.Name, "reference", ev.EPayment.Reference)
		case ev.Name == webhooks.RecurringChargeCaptured:
			// Decode ev.Raw into a type of your own.
		}
		return nil // any error: 500, and Vipps delivers the notification again
	}, webhooks.WithLogger(logger)))

	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/vipps/webhooks", strings.NewReader(`{}`))) // unsigned
	fmt.Println(w.Code)
	// Output: 401
}

// Vipps may deliver one event more than once. Process each ePayment event
// once by its DedupKey (reference and name); keep the keys somewhere durable
// (a unique index, say) rather than in memory as here.
func ExampleHandler_deduplicate() {
	const registered = "https://shop.example.com/vipps/webhooks"
	secret := vipps.Secret("s3cret")
	var seen sync.Map
	receiver := webhooks.Handler(webhooks.Key{URL: registered, Secrets: []vipps.Secret{secret}},
		func(_ context.Context, ev webhooks.Event) error {
			if ev.EPayment == nil {
				return nil
			}
			if _, dup := seen.LoadOrStore(ev.EPayment.DedupKey(), true); dup {
				fmt.Println("duplicate skipped:", ev.EPayment.DedupKey())
				return nil // still a 2xx: Vipps must stop delivering it
			}
			fmt.Println("processed:", ev.EPayment.DedupKey())
			return nil
		})

	body := `{"msn":"123456","reference":"order-1001","pspReference":"7686","name":"CAPTURED",` +
		`"amount":{"currency":"NOK","value":35000},"timestamp":"2026-01-02T03:04:05Z","success":true}`
	for range 2 { // the same event, delivered twice
		req := httptest.NewRequest(http.MethodPost, registered, strings.NewReader(body))
		for name, values := range webhooks.Sign(registered, secret, []byte(body), time.Now()) {
			req.Header[name] = values
		}
		receiver.ServeHTTP(httptest.NewRecorder(), req)
	}
	// Output:
	// processed: order-1001/CAPTURED
	// duplicate skipped: order-1001/CAPTURED
}
