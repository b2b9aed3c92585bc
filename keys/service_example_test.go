package keys_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"strings"

	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/vipps"
)

func ExampleService_Get() {
	s := portaltest.NewServer()
	defer s.Close()
	c := s.AdminClient()

	set, err := c.Keys.Get(context.Background(), "123456")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(set.MSN, set.Environment)
	fmt.Println("client secret:", set.ClientSecret) // a Secret prints redacted
	// Output:
	// 123456 production
	// client secret: [REDACTED]
}

func ExampleService_Regenerate() {
	s := portaltest.NewServer()
	defer s.Close()
	c := s.AdminClient()
	ctx := context.Background()

	old, err := c.Keys.Get(ctx, "123456")
	if err != nil {
		log.Fatal(err)
	}
	set, err := c.Keys.Regenerate(ctx, "123456", keys.SubscriptionKeySecondary)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("secondary changed:", set.SubscriptionKeySecondary != old.SubscriptionKeySecondary)
	fmt.Println("primary kept:", set.SubscriptionKeyPrimary == old.SubscriptionKeyPrimary)
	// Output:
	// secondary changed: true
	// primary kept: true
}

func ExampleService_Verify() {
	s := portaltest.NewServer()
	defer s.Close()
	c := s.AdminClient()
	ctx := context.Background()

	set, err := c.Keys.Get(ctx, "123456")
	if err != nil {
		log.Fatal(err)
	}
	v, err := c.Keys.Verify(ctx, *set)
	fmt.Println(v, err)

	set.SubscriptionKeySecondary = "00000000000000000000000000000000"
	v, err = c.Keys.Verify(ctx, *set)
	fmt.Println(v)
	fmt.Println(errors.Is(err, vipps.ErrUnauthorized))
	// Output:
	// sales unit 123456 (production): subscriptionKeyPrimary works, subscriptionKeySecondary works <nil>
	// sales unit 123456 (production): subscriptionKeyPrimary works, subscriptionKeySecondary FAILS
	// true
}

func ExampleService_Rotate() {
	s := portaltest.NewServer()
	defer s.Close()
	ctx := context.Background()
	c := s.AdminClient()
	current, err := c.Keys.Get(ctx, "123456") // or what your secrets manager holds
	if err != nil {
		log.Fatal(err)
	}

	// The integration's client reads its keys from a live source: a new set
	// needs no restart, and Rotate sees the requests in flight on each key.
	live := keys.NewLiveSource(*current, keys.SubscriptionKeyPrimary)
	integration, err := s.Client(vipps.Credentials{}, portal.WithKeySource(live))
	if err != nil {
		log.Fatal(err)
	}
	_ = integration // its services and HTTPClient() use the live keys

	rep, err := c.Keys.Rotate(ctx, "123456", keys.RotateOptions{
		SubscriptionKeys: true,
		ClientSecret:     true,
		InUse:            keys.SubscriptionKeyPrimary,
		Current:          current,
		Strategy:         keys.LiveStrategy{Source: live},
		Store: func(_ context.Context, set keys.Set, use keys.Name) error {
			return nil // a real store writes set.Reveal() somewhere safe (a secrets manager)
		},
		OnStep: func(st keys.RotationStep) { fmt.Println(st) },
	})
	if err != nil {
		if set, ok := keys.UnsavedSet(err); ok {
			_ = set // save it by other means: it is in force and the old value may not be
		}
		log.Fatal(err)
	}
	fmt.Println(rep)
	set, inUse := live.Current()
	fmt.Println("live:", set.MSN, inUse)
	// Output:
	// token subscriptionKeyPrimary
	// regenerate subscriptionKeySecondary
	// verify subscriptionKeySecondary
	// store new subscriptionKeySecondary
	// drain subscriptionKeyPrimary
	// regenerate subscriptionKeyPrimary
	// verify subscriptionKeyPrimary
	// store new subscriptionKeyPrimary
	// token subscriptionKeySecondary
	// drain clientSecret
	// regenerate clientSecret
	// verify clientSecret
	// store new clientSecret
	// sales unit 123456: rotated subscriptionKeySecondary, subscriptionKeyPrimary, clientSecret in 13 steps; in use: subscriptionKeySecondary
	// live: 123456 subscriptionKeySecondary
}

// pressAndPaste plays an operator: on the first read it presses Regenerate
// on the portal (here: the simulator) and types the new value.
type pressAndPaste struct {
	press func() string
	r     io.Reader
}

func (p *pressAndPaste) Read(b []byte) (int, error) {
	if p.r == nil {
		p.r = strings.NewReader(p.press() + "\n")
	}
	return p.r.Read(b)
}

func ExampleManualReplacer() {
	s := portaltest.NewServer()
	defer s.Close()
	web := s.AdminClient() // the person's browser
	ctx := context.Background()

	// Against Vipps: the keys you hold, and os.Stdin / os.Stdout for the operator.
	current, _ := web.Keys.Get(ctx, "123456")
	c, err := s.Client(s.UnitCredentials("123456"))
	if err != nil {
		log.Fatal(err)
	}
	var screen bytes.Buffer // os.Stdout in a real program
	operator := &pressAndPaste{press: func() string {
		set, _ := web.Keys.Regenerate(ctx, "123456", keys.ClientSecret)
		return set.ClientSecret.Reveal()
	}}

	_, err = c.Keys.Rotate(ctx, "123456", keys.RotateOptions{
		ClientSecret: true,
		Current:      current,
		Store:        func(context.Context, keys.Set, keys.Name) error { return nil }, // your secrets manager
		Strategy:     keys.DrainStrategy{},                                            // the integration reloads its keys from the store
		Replacer:     &keys.ManualReplacer{In: operator, Out: &screen},
	})
	for line := range strings.Lines(screen.String()) {
		fmt.Println(strings.TrimRight(line, " \n"))
	}
	fmt.Println("error:", err)
	// Output:
	//
	// Sales unit 123456 (production): regenerate the client_secret.
	//   1. Open https://portal.vippsmobilepay.com and choose the sales unit with MSN 123456.
	//   2. Go to For developers > API keys > Show keys.
	//   3. Press Regenerate next to the client_secret, and copy the new value.
	// Paste the new client_secret for sales unit 123456 and press Enter (try 1 of 3):
	// Verified: sales unit 123456 gets an access token with the new client_secret.
	// error: <nil>
}

func ExampleSet_Reveal() {
	set := keys.Set{MSN: "123456", Environment: "production", ClientID: "id",
		ClientSecret: "s3cr3t", SubscriptionKeyPrimary: "p", SubscriptionKeySecondary: "q"}

	redacted, _ := json.Marshal(set) // never writes a secret
	fmt.Println(string(redacted))

	plain, _ := json.Marshal(set.Reveal()) // the explicit way to persist one
	var loaded keys.RevealedSet
	_ = json.Unmarshal(plain, &loaded)
	fmt.Println(loaded.Set() == set)
	// Output:
	// {"msn":"123456","environment":"production","clientId":"id","clientSecret":"[REDACTED]","subscriptionKeyPrimary":"[REDACTED]","subscriptionKeySecondary":"[REDACTED]","updatedAt":"0001-01-01T00:00:00Z"}
	// true
}
