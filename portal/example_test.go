package portal_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/vipps"
)

// A client for Vipps' production environment and a portal gateway. New sends
// nothing; bad settings are refused here.
func ExampleNew() {
	c, err := portal.New(
		portal.WithCredentials(vipps.Credentials{
			ClientID:        "2f1c6a0e-8a4b-4c8e-9d2a-6a1f5e3b7c90",
			ClientSecret:    vipps.Secret("client-secret"),
			SubscriptionKey: vipps.Secret("0123456789abcdef0123456789abcdef"),
			MSN:             "123456",
		}),
		portal.WithEnvironment(vipps.Production),
		portal.WithPortalURL("https://portal-gateway.example"),
		portal.WithSystem("acme-backend", "2.1.0", "", ""),
		portal.WithRetry(vipps.RetryPolicy{MaxAttempts: 4, MaxRetryAfter: 30 * time.Second}),
		portal.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, nil))),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c != nil)

	// A Management call on the test environment is refused without a request.
	testEnv, _ := portal.New(portal.WithEnvironment(vipps.Test), portal.WithCredentials(vipps.Credentials{
		ClientID: "id", ClientSecret: vipps.Secret("s"), SubscriptionKey: vipps.Secret("k")}))
	_, err = testEnv.SalesUnits.List(context.Background())
	fmt.Println(errors.Is(err, vipps.ErrUnsupported))

	// Output:
	// true
	// true
}

// Errors are classified with errors.Is and read with errors.As.
func ExampleError() {
	sim := portaltest.NewServer()
	defer sim.Close()
	assistant, _ := sim.Client(sim.UserCredentials(portaltest.AssistantUserID))

	_, err := assistant.Keys.Get(context.Background(), portaltest.ProductionMSN)
	var apiErr *vipps.Error
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Problem, errors.Is(err, vipps.ErrForbidden))
	}
	_, err = assistant.Keys.Get(context.Background(), "12")
	var bad *vipps.ValidationError
	if errors.As(err, &bad) {
		fmt.Println("refused before sending:", bad.Field)
	}
	// Output:
	// 403 keys-hidden true
	// refused before sending: msn
}
