package keys_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/vipps"
)

// loadWorkers is how many goroutines call the API while keys rotate.
const loadWorkers = 64

// load is a merchant backend under load: workers call the Management API with
// the unit's own keys, alternating between the SDK's services and
// HTTPClient() (as payment code would), and count every call.
type load struct {
	t      *testing.T
	url    string // GET of the unit through HTTPClient
	client func() *portal.Client

	calls, failed, during atomic.Int64
	rotating              atomic.Bool
	mu                    sync.Mutex
	failures              []string

	done    chan struct{}
	ready   sync.WaitGroup // every worker made a call
	after   sync.WaitGroup // every worker made 2 calls after the rotation
	rotated chan struct{}
	wg      sync.WaitGroup
}

func startLoad(t *testing.T, s *portaltest.Server, client func() *portal.Client) *load {
	l := &load{t: t, url: s.URL + "/management/v1/sales-units/" + portaltest.ProductionMSN, client: client,
		done: make(chan struct{}), rotated: make(chan struct{})}
	l.ready.Add(loadWorkers)
	l.after.Add(loadWorkers)
	for w := range loadWorkers {
		l.wg.Add(1)
		go l.work(w)
	}
	l.ready.Wait()
	return l
}

func (l *load) work(w int) {
	defer l.wg.Done()
	first, post := true, 0
	for i := 0; ; i++ {
		select {
		case <-l.done:
			return
		default:
		}
		l.call(w, i%2 == 0)
		if first {
			first = false
			l.ready.Done()
		}
		select {
		case <-l.rotated:
			if post++; post == 2 {
				l.after.Done()
			}
		default:
		}
	}
}

func (l *load) call(w int, viaService bool) {
	l.calls.Add(1)
	if l.rotating.Load() {
		l.during.Add(1)
	}
	c := l.client()
	var err error
	if viaService {
		_, err = c.SalesUnits.Get(context.Background(), portaltest.ProductionMSN)
	} else {
		var resp *http.Response
		if resp, err = c.HTTPClient().Get(l.url); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("HTTPClient: status %d", resp.StatusCode)
			}
		}
	}
	if err != nil {
		l.failed.Add(1)
		l.mu.Lock()
		if len(l.failures) < 10 {
			l.failures = append(l.failures, fmt.Sprintf("worker %d: %v", w, err))
		}
		l.mu.Unlock()
	}
}

// stop lets every worker make 2 more calls on the final keys, then stops them.
func (l *load) stop() {
	l.rotating.Store(false)
	close(l.rotated)
	l.after.Wait()
	close(l.done)
	l.wg.Wait()
}

func TestRotateUnderLoadLosesNoCall(t *testing.T) {
	for _, pattern := range []string{"live source", "swap pattern"} {
		t.Run(pattern, func(t *testing.T) {
			s := newSim(t)
			ctx := context.Background()
			admin := s.AdminClient(fastRetry)
			before := simSet(t, s, portaltest.ProductionMSN)
			opts := keys.RotateOptions{SubscriptionKeys: true, ClientSecret: true, InUse: keys.SubscriptionKeyPrimary, Current: &before,
				Store: (&memStore{}).store}

			var client func() *portal.Client
			if pattern == "live source" {
				live := keys.NewLiveSource(before, keys.SubscriptionKeyPrimary)
				c := liveClient(t, s, live)
				client = func() *portal.Client { return c }
				opts.Strategy = keys.LiveStrategy{Source: live}
			} else {
				// The pattern without a live source: Store swaps in a client built
				// from the new set, HandOff gives it Rotate's token before the
				// secret changes, and Rotate drains for a bounded time.
				var cur atomic.Pointer[portal.Client]
				cur.Store(simClient(t, s, credsOf(before, keys.SubscriptionKeyPrimary)))
				client = cur.Load
				opts.Store = func(_ context.Context, set keys.Set, inUse keys.Name) error {
					c, err := s.Client(credsOf(set, inUse), fastRetry)
					if err == nil {
						cur.Store(c)
					}
					return err
				}
				opts.Strategy = keys.DrainStrategy{
					Drain:   2 * time.Second, // far beyond a call on loopback; the default is 10s
					HandOff: func(_ context.Context, _ keys.Set, tok keys.AccessToken) error { return cur.Load().UseToken(tok) },
				}
			}

			l := startLoad(t, s, client)
			l.rotating.Store(true)
			rep, err := admin.Keys.Rotate(ctx, portaltest.ProductionMSN, opts)
			l.stop()
			require.NoError(t, err)

			l.mu.Lock()
			assert.Empty(t, l.failures)
			l.mu.Unlock()
			assert.Zero(t, l.failed.Load(), "failed calls")
			assert.Greater(t, l.during.Load(), int64(0), "calls were made while keys rotated")
			assert.GreaterOrEqual(t, l.calls.Load(), int64(3*loadWorkers))
			assert.Equal(t, []keys.Name{keys.SubscriptionKeySecondary, keys.SubscriptionKeyPrimary, keys.ClientSecret}, rep.Rotated)
			drains := rep.Drains()
			require.Len(t, drains, 2)
			assert.Equal(t, keys.SubscriptionKeyPrimary, drains[0].Key)
			assert.Equal(t, keys.ClientSecret, drains[1].Key)
			t.Logf("%s: calls=%d during=%d failed=%d drain %s=%s drain %s=%s", pattern, l.calls.Load(), l.during.Load(), l.failed.Load(),
				drains[0].Key, drains[0].Took, drains[1].Key, drains[1].Took)

			// Every old key is dead: the old set gets no token.
			after := simSet(t, s, portaltest.ProductionMSN)
			for _, n := range []keys.Name{keys.SubscriptionKeyPrimary, keys.SubscriptionKeySecondary} {
				assert.NotEqual(t, before.SubscriptionKey(n), after.SubscriptionKey(n))
				err := tokenFor(t, s, credsOf(before, n))
				requireAPIError(t, err, http.StatusUnauthorized, vipps.ProblemGateway, vipps.ErrUnauthorized)
			}
			oldSecret := credsOf(after, keys.SubscriptionKeyPrimary)
			oldSecret.ClientSecret = before.ClientSecret
			requireAPIError(t, tokenFor(t, s, oldSecret), http.StatusUnauthorized, "invalid_client", vipps.ErrUnauthorized)
		})
	}
}
