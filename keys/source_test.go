package keys_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/vipps"
)

// liveClient is a client of the unit's own keys read from src.
func liveClient(t *testing.T, s *portaltest.Server, src keys.Source, opts ...portal.Option) *portal.Client {
	t.Helper()
	// The credentials portaltest sets are replaced by the source.
	return simClient(t, s, vipps.Credentials{ClientID: "ignored", ClientSecret: "ignored", SubscriptionKey: "ignored"},
		append([]portal.Option{portal.WithKeySource(src)}, opts...)...)
}

func TestLiveSourceChangeNeedsNoRestart(t *testing.T) {
	s := newSim(t)
	ctx := context.Background()
	admin := s.AdminClient(fastRetry)
	live := keys.NewLiveSource(simSet(t, s, portaltest.ProductionMSN), keys.SubscriptionKeyPrimary)
	c := liveClient(t, s, live)
	_, err := c.SalesUnits.Get(ctx, portaltest.ProductionMSN)
	require.NoError(t, err)

	// The key in use is replaced behind the client's back: the gateway refuses it,
	// and reloading the (unchanged) source does not help.
	next, err := admin.Keys.Regenerate(ctx, portaltest.ProductionMSN, keys.SubscriptionKeyPrimary)
	require.NoError(t, err)
	_, err = c.SalesUnits.Get(ctx, portaltest.ProductionMSN)
	requireAPIError(t, err, http.StatusUnauthorized, vipps.ProblemGateway, vipps.ErrUnauthorized)

	// Storing the new set is enough: the same client uses it on its next call.
	require.NoError(t, live.Store(ctx, *next, keys.SubscriptionKeyPrimary))
	_, err = c.SalesUnits.Get(ctx, portaltest.ProductionMSN)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), live.Version())

	// A new client secret too: the next token request uses it.
	next, err = admin.Keys.Regenerate(ctx, portaltest.ProductionMSN, keys.ClientSecret)
	require.NoError(t, err)
	require.NoError(t, live.Store(ctx, *next, keys.SubscriptionKeySecondary))
	fresh := liveClient(t, s, live) // no token cached: it must ask with the new secret
	_, err = fresh.SalesUnits.Get(ctx, portaltest.ProductionMSN)
	require.NoError(t, err)
}

func TestLiveSourceStoreRefusesBadInput(t *testing.T) {
	set := keys.Set{MSN: "123456", Environment: "production", ClientID: "id", ClientSecret: "s", SubscriptionKeyPrimary: "p", SubscriptionKeySecondary: "q"}
	live := keys.NewLiveSource(set, keys.SubscriptionKeyPrimary)
	requireInvalid(t, live.Store(context.Background(), set, keys.ClientSecret), "inUse")
	bad := set
	bad.ClientID = ""
	requireInvalid(t, live.Store(context.Background(), bad, keys.SubscriptionKeyPrimary), "set.ClientID")
	got, n := live.Current()
	assert.Equal(t, set, got, "a refused set is not stored")
	assert.Equal(t, keys.SubscriptionKeyPrimary, n)

	_, err := portal.New(portal.WithKeySource(keys.NewLiveSource(set, "")))
	requireInvalid(t, err, "WithKeySource")
}

func TestLiveSourceStoreWaitsForTheOldKeysRequests(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		set := keys.Set{MSN: "123456", Environment: "production", ClientID: "id", ClientSecret: "s", SubscriptionKeyPrimary: "p", SubscriptionKeySecondary: "q"}
		live := keys.NewLiveSource(set, keys.SubscriptionKeyPrimary)
		_, n1, done1 := live.Keys()
		_, _, done2 := live.Keys()
		require.Equal(t, keys.SubscriptionKeyPrimary, n1)
		assert.Equal(t, 2, live.InFlight(keys.SubscriptionKeyPrimary))

		stored := make(chan error, 1)
		go func() { stored <- live.Store(context.Background(), set, keys.SubscriptionKeySecondary) }()
		synctest.Wait()
		// The switch is made at once: new requests carry the secondary ...
		_, n, doneNew := live.Keys()
		assert.Equal(t, keys.SubscriptionKeySecondary, n)
		doneNew()
		// ... but Store returns only once the primary's requests are answered.
		select {
		case err := <-stored:
			t.Fatalf("Store returned with requests of the old key in flight: %v", err)
		default:
		}
		done1()
		done1() // idempotent
		synctest.Wait()
		assert.Len(t, stored, 0)
		done2()
		synctest.Wait()
		require.NoError(t, <-stored)
		assert.Zero(t, live.InFlight(keys.SubscriptionKeyPrimary))
	})
}

func TestLiveSourceDrainIsBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		set := keys.Set{MSN: "123456", Environment: "production", ClientID: "id", ClientSecret: "s", SubscriptionKeyPrimary: "p", SubscriptionKeySecondary: "q"}
		live := keys.NewLiveSource(set, keys.SubscriptionKeyPrimary)
		_, _, done := live.Keys() // a request that never ends
		defer done()
		start := time.Now()
		err := live.Store(context.Background(), set, keys.SubscriptionKeySecondary)
		var de *keys.DrainError
		require.ErrorAs(t, err, &de)
		assert.Equal(t, keys.SubscriptionKeyPrimary, de.Key)
		assert.Equal(t, 1, de.InFlight)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, keys.DefaultMaxDrain, time.Since(start), "fake clock: waited exactly the bound")
		_, n := live.Current()
		assert.Equal(t, keys.SubscriptionKeySecondary, n, "the new set is in use all the same")
	})
}

func TestLiveSourcePrintsNoSecret(t *testing.T) {
	set := keys.Set{MSN: "123456", Environment: "production", ClientID: "id", ClientSecret: "Sup3r-S3cret-Value",
		SubscriptionKeyPrimary: "prim4ry-k3y-value", SubscriptionKeySecondary: "second4ry-k3y-value"}
	live := keys.NewLiveSource(set, keys.SubscriptionKeyPrimary)
	b, err := json.Marshal(live)
	require.NoError(t, err)
	for _, out := range []string{fmt.Sprintf("%v %+v %#v %s", live, live, live, live), string(b)} {
		for _, v := range []string{"Sup3r-S3cret-Value", "prim4ry-k3y-value", "second4ry-k3y-value"} {
			assert.NotContains(t, out, v)
		}
	}
	assert.Contains(t, live.String(), "123456")
	assert.JSONEq(t, `{"msn":"123456","environment":"production","inUse":"subscriptionKeyPrimary","version":0}`, string(b))
}

// outsideTransport serves requests in memory from h on a goroutine started
// outside any synctest bubble (so the simulator's own state never joins one),
// one request at a time: a client in a bubble then opens no socket.
type outsideTransport struct {
	mu  sync.Mutex
	in  chan *http.Request
	out chan *http.Response
}

func newOutsideTransport(t *testing.T, h http.Handler) *outsideTransport {
	ot := &outsideTransport{in: make(chan *http.Request), out: make(chan *http.Response)}
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for r := range ot.in {
			rec := httptest.NewRecorder()
			if r.Body == nil {
				r.Body = http.NoBody // a server's request always has one
			}
			h.ServeHTTP(rec, r)
			_ = r.Body.Close()
			ot.out <- rec.Result()
		}
	}()
	t.Cleanup(func() { close(ot.in); <-stopped })
	return ot
}

func (ot *outsideTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	ot.mu.Lock()
	defer ot.mu.Unlock()
	ot.in <- r
	return <-ot.out, nil
}

func TestRotateWithLiveSourceWaitsForTheOldKeysRequests(t *testing.T) {
	s := newSim(t)
	inMemory := portal.WithHTTPClient(&http.Client{Transport: newOutsideTransport(t, s.Handler())})
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		admin := s.AdminClient(fastRetry, inMemory)
		before := simSet(t, s, portaltest.ProductionMSN)
		live := keys.NewLiveSource(before, keys.SubscriptionKeyPrimary)
		_, held, done := live.Keys() // a request carrying the primary, still waiting for its answer
		require.Equal(t, keys.SubscriptionKeyPrimary, held)

		var regeneratedWhileInFlight []keys.Name
		regen := regenerateVia(admin)
		type result struct {
			rep *keys.RotationReport
			err error
		}
		res := make(chan result, 1)
		go func() {
			rep, err := admin.Keys.Rotate(ctx, portaltest.ProductionMSN, keys.RotateOptions{
				SubscriptionKeys: true, InUse: keys.SubscriptionKeyPrimary, Current: &before, Strategy: keys.LiveStrategy{Source: live}, Store: (&memStore{}).store,
				Replacer: keys.ReplacerFunc(func(ctx context.Context, r keys.Replacement) (keys.Set, error) {
					if live.InFlight(r.Name) > 0 {
						regeneratedWhileInFlight = append(regeneratedWhileInFlight, r.Name)
					}
					return regen(ctx, r)
				}),
			})
			res <- result{rep, err}
		}()
		synctest.Wait()
		// Rotate switched to the secondary and now waits: the primary is untouched.
		_, n := live.Current()
		assert.Equal(t, keys.SubscriptionKeySecondary, n)
		assert.Equal(t, 1, s.Effects("regenerateKey"), "only the key not in use was replaced")
		assert.Len(t, res, 0, "Rotate waits for the request carrying the primary")

		time.Sleep(3 * time.Second) // fake clock: the request takes 3s to be answered
		done()
		r := <-res
		require.NoError(t, r.err)
		assert.Equal(t, 2, s.Effects("regenerateKey"))
		assert.Empty(t, regeneratedWhileInFlight)
		drains := r.rep.Drains()
		require.Len(t, drains, 1)
		assert.Equal(t, keys.SubscriptionKeyPrimary, drains[0].Key)
		assert.Equal(t, 3*time.Second, drains[0].Took, "the report says how long the drain took")
	})
}

func TestRotateHandsTheLiveSourceItsToken(t *testing.T) {
	s := newSim(t)
	ctx := context.Background()
	admin := s.AdminClient(fastRetry)
	before := simSet(t, s, portaltest.ProductionMSN)
	live := keys.NewLiveSource(before, keys.SubscriptionKeyPrimary)
	regen := regenerateVia(admin)
	var inWindow error
	_, err := admin.Keys.Rotate(ctx, portaltest.ProductionMSN, keys.RotateOptions{
		ClientSecret: true, Current: &before, Strategy: keys.LiveStrategy{Source: live}, Store: (&memStore{}).store,
		Replacer: keys.ReplacerFunc(func(ctx context.Context, r keys.Replacement) (keys.Set, error) {
			set, err := regen(ctx, r)
			// The secret has changed and the source still holds the old set: a
			// client that holds no token yet must not ask for one with it.
			fresh := liveClient(t, s, live)
			_, inWindow = fresh.SalesUnits.Get(ctx, portaltest.ProductionMSN)
			return set, err
		}),
	})
	require.NoError(t, err)
	require.NoError(t, inWindow, "a new client used the token Rotate handed over")
	set, _ := live.Current()
	assert.NotEqual(t, before.ClientSecret, set.ClientSecret)

	// The handed token is bound to the old secret: a client on the new one fetches its own.
	fresh := liveClient(t, s, live)
	_, err = fresh.SalesUnits.Get(ctx, portaltest.ProductionMSN)
	require.NoError(t, err)
}

func TestRotateWithOnlyALiveSource(t *testing.T) {
	s := newSim(t)
	ctx := context.Background()
	admin := s.AdminClient(fastRetry)
	before := simSet(t, s, portaltest.ProductionMSN)
	live := keys.NewLiveSource(before, keys.SubscriptionKeySecondary)

	// The live source must hold the unit's keys, with the key in use it says.
	_, err := admin.Keys.Rotate(ctx, "654321", keys.RotateOptions{SubscriptionKeys: true, Strategy: keys.LiveStrategy{Source: live}, Store: (&memStore{}).store})
	requireInvalid(t, err, "LiveStrategy.Source")
	_, err = admin.Keys.Rotate(ctx, portaltest.ProductionMSN, keys.RotateOptions{SubscriptionKeys: true, Strategy: keys.LiveStrategy{Source: live}, Store: (&memStore{}).store, InUse: keys.SubscriptionKeyPrimary})
	requireInvalid(t, err, "RotateOptions.InUse")
	assert.Zero(t, s.Effects("regenerateKey"))

	// Its set and key in use are the starting point: no getKeys, the primary goes first.
	rep, err := admin.Keys.Rotate(ctx, portaltest.ProductionMSN, keys.RotateOptions{SubscriptionKeys: true, Strategy: keys.LiveStrategy{Source: live}, Store: (&memStore{}).store})
	require.NoError(t, err)
	assert.Empty(t, s.RequestsOf("getKeys"))
	assert.Equal(t, []keys.Name{keys.SubscriptionKeyPrimary, keys.SubscriptionKeySecondary}, rep.Rotated)
	set, n := live.Current()
	assert.Equal(t, simSet(t, s, portaltest.ProductionMSN), set)
	assert.Equal(t, keys.SubscriptionKeyPrimary, n)
}

func TestRotateHandsTheSwappedInClientItsToken(t *testing.T) {
	s := newSim(t)
	ctx := context.Background()
	admin := s.AdminClient(fastRetry)
	before := simSet(t, s, portaltest.ProductionMSN)
	// The pattern without a live source: the integration's client is built from
	// the set (and has made no call yet, so it holds no token).
	var cur atomic.Pointer[portal.Client]
	cur.Store(simClient(t, s, credsOf(before, keys.SubscriptionKeyPrimary)))
	regen := regenerateVia(admin)
	var inWindow error
	_, err := admin.Keys.Rotate(ctx, portaltest.ProductionMSN, keys.RotateOptions{
		ClientSecret: true, Current: &before,
		Store: func(_ context.Context, set keys.Set, inUse keys.Name) error {
			c, err := s.Client(credsOf(set, inUse), fastRetry)
			if err == nil {
				cur.Store(c)
			}
			return err
		},
		Strategy: keys.DrainStrategy{Drain: -1,
			HandOff: func(_ context.Context, _ keys.Set, tok keys.AccessToken) error { return cur.Load().UseToken(tok) }},
		Replacer: keys.ReplacerFunc(func(ctx context.Context, r keys.Replacement) (keys.Set, error) {
			set, err := regen(ctx, r)
			// The secret changed; the integration still has the client of the old set.
			_, inWindow = cur.Load().SalesUnits.Get(ctx, portaltest.ProductionMSN)
			return set, err
		}),
	})
	require.NoError(t, err)
	require.NoError(t, inWindow, "the client held the token Rotate handed over")
}

func TestUseTokenRefusesAForeignToken(t *testing.T) {
	s := newSim(t)
	ctx := context.Background()
	admin := s.AdminClient(fastRetry)
	before := simSet(t, s, portaltest.ProductionMSN)
	var got keys.AccessToken
	_, err := admin.Keys.Rotate(ctx, portaltest.ProductionMSN, keys.RotateOptions{
		ClientSecret: true, Current: &before,
		Store: func(context.Context, keys.Set, keys.Name) error { return nil },
		Strategy: keys.DrainStrategy{Drain: -1,
			HandOff: func(_ context.Context, _ keys.Set, tok keys.AccessToken) error { got = tok; return nil }},
	})
	require.NoError(t, err)
	other := simClient(t, s, s.UnitCredentials(portaltest.TestMSN))
	requireInvalid(t, other.UseToken(got), "token")
	elsewhere, err := portal.New(portal.WithCredentials(vipps.Credentials{ClientID: before.ClientID,
		ClientSecret: before.ClientSecret, SubscriptionKey: before.SubscriptionKeyPrimary}))
	require.NoError(t, err)
	requireInvalid(t, elsewhere.UseToken(got), "token")
	b, err := json.Marshal(got)
	require.NoError(t, err)
	printed := fmt.Sprintf("%v %+v %#v %s", got, got, got, got) + string(b)
	assert.NotContains(t, printed, got.Value.Reveal())
	assert.NotContains(t, printed, before.ClientSecret.Reveal())
	assert.True(t, got.IssuedTo(before.ClientID, before.ClientSecret))
	assert.False(t, got.IssuedTo(before.ClientID, "another-secret"))
}

func TestZeroLiveSourceIsUsable(t *testing.T) {
	var live keys.LiveSource
	_, _, done := live.Keys()
	assert.Equal(t, 1, live.InFlight(""))
	done()
	set := keys.Set{MSN: "123456", Environment: "production", ClientID: "id", ClientSecret: "s", SubscriptionKeyPrimary: "p", SubscriptionKeySecondary: "q"}
	require.NoError(t, live.Store(context.Background(), set, keys.SubscriptionKeyPrimary))
	got, n := live.Current()
	assert.Equal(t, set, got)
	assert.Equal(t, keys.SubscriptionKeyPrimary, n)
}

// A set that no request can carry fails every call with "invalid header
// field value" once in use: Store refuses it, naming the field, and the last
// good set stays in use.
func TestLiveSourceStoreRefusesSetsNoRequestCanCarry(t *testing.T) {
	good := keys.Set{MSN: "123456", Environment: "production", ClientID: "id", ClientSecret: "s", SubscriptionKeyPrimary: "p", SubscriptionKeySecondary: "q"}
	live := keys.NewLiveSource(good, keys.SubscriptionKeyPrimary)
	for _, tc := range []struct {
		field string
		bad   func(*keys.Set)
	}{
		{"set.SubscriptionKeyPrimary", func(s *keys.Set) { s.SubscriptionKeyPrimary = "p\r\nX-Injected: 1" }},
		{"set.SubscriptionKeySecondary", func(s *keys.Set) { s.SubscriptionKeySecondary = "q\n" }},
		{"set.ClientSecret", func(s *keys.Set) { s.ClientSecret = "s\x00" }},
		{"set.ClientID", func(s *keys.Set) { s.ClientID = "id\n" }},
		{"set.MSN", func(s *keys.Set) { s.MSN = "12345\n" }},
		{"set.Environment", func(s *keys.Set) { s.Environment = "staging" }},
	} {
		bad := good
		tc.bad(&bad)
		err := live.Store(context.Background(), bad, keys.SubscriptionKeySecondary)
		requireInvalid(t, err, tc.field)
		assert.NotContains(t, err.Error(), "X-Injected")
	}
	set, n := live.Current()
	assert.Equal(t, good, set)
	assert.Equal(t, keys.SubscriptionKeyPrimary, n)
	assert.Zero(t, live.Version(), "nothing was stored")
}

// Store and Drain with a nil context return an error, even while a request is
// in flight (where waiting on the context would have panicked).
func TestLiveSourceNilContextIsAnError(t *testing.T) {
	set := keys.Set{MSN: "123456", Environment: "production", ClientID: "id", ClientSecret: "s", SubscriptionKeyPrimary: "p", SubscriptionKeySecondary: "q"}
	live := keys.NewLiveSource(set, keys.SubscriptionKeyPrimary)
	_, _, done := live.Keys() // a request in flight on the primary
	defer done()
	var nilCtx context.Context // nil on purpose
	var err error
	require.NotPanics(t, func() { err = live.Store(nilCtx, set, keys.SubscriptionKeySecondary) })
	requireInvalid(t, err, "ctx")
	_, n := live.Current()
	assert.Equal(t, keys.SubscriptionKeyPrimary, n, "nothing was stored")
	require.NotPanics(t, func() { _, err = live.Drain(nilCtx, keys.SubscriptionKeyPrimary, time.Second) })
	requireInvalid(t, err, "ctx")
}
