package salesunit_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/salesunit"
	"github.com/vippsportal/sdk/vipps"
)

// The waiters are tested inside synctest bubbles: time is fake and moves only
// when every goroutine of the bubble waits, so a wait of minutes runs in
// microseconds, and elapsed times and delays can be asserted exactly. The
// transport is httpmock's, in memory (synctest cannot use a real network).
// Each test's client makes one attempt per call (MaxAttempts 1), so every
// transient answer reaches the waiter itself.

const unitMSN = "345678"

// provisioning is a fake test unit order: its creation completes readyAfter
// the fake start, and the unit's keys keysAfter it.
type provisioning struct {
	mu                 sync.Mutex
	start              time.Time
	readyAfter         time.Duration
	keysAfter          time.Duration
	failAfter          time.Duration // > 0: the creation ends FAILED then instead
	creationGets, gets int
	creationFaults     []httpmock.Responder // answered first, one per GET, before the state
	unitFaults         []httpmock.Responder
	// estimate: a PENDING creation carries Retry-After, the whole seconds
	// (rounded up, at least 1) until it is ready, as contract 1.1 gives it.
	estimate bool
}

func (p *provisioning) register(m *mockAPI) {
	m.mock.RegisterResponder(http.MethodGet, base+"/portal/v1/test-sales-units/creations/"+creationID, func(r *http.Request) (*http.Response, error) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.creationGets++
		if len(p.creationFaults) > 0 {
			f := p.creationFaults[0]
			p.creationFaults = p.creationFaults[1:]
			return f(r)
		}
		age := time.Since(p.start)
		c := map[string]any{"creationId": creationID, "status": "PENDING", "createdAt": p.start,
			"request": map[string]any{"name": "Dev shop", "options": map[string]bool{"skipLandingPage": false, "recurring": false, "directCapture": false}}}
		switch {
		case p.failAfter > 0 && age >= p.failAfter:
			c["status"] = "FAILED"
			c["failure"] = map[string]any{"type": "https://portal-sdk.invalid/problems/provisioning-failed", "title": "Provisioning failed",
				"status": 500, "detail": "no test capacity", "instance": "/portal/v1/test-sales-units/creations/" + creationID}
		case p.failAfter == 0 && age >= p.readyAfter:
			c["status"], c["msn"], c["completedAt"] = "COMPLETED", unitMSN, p.start.Add(p.readyAfter)
		}
		resp, err := jsonResponder(http.StatusOK, c)(r)
		if err == nil && p.estimate && c["status"] == "PENDING" {
			secs := max(1, int64(math.Ceil((p.readyAfter - age).Seconds())))
			resp.Header.Set("Retry-After", strconv.FormatInt(secs, 10))
		}
		return resp, err
	})
	m.mock.RegisterResponder(http.MethodGet, base+"/portal/v1/test-sales-units/"+unitMSN, func(r *http.Request) (*http.Response, error) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.gets++
		if len(p.unitFaults) > 0 {
			f := p.unitFaults[0]
			p.unitFaults = p.unitFaults[1:]
			return f(r)
		}
		return jsonResponder(http.StatusOK, map[string]any{"msn": unitMSN, "name": "Dev shop",
			"businessIdentifier": map[string]string{"scheme": "business:NO:ORG", "id": "987654325"},
			"options":            map[string]bool{"skipLandingPage": false, "recurring": false, "directCapture": false},
			"configuration":      map[string]any{"paymentAllowed": true, "captureType": "ReserveCapture"},
			"createdAt":          p.start, "completedAt": p.start.Add(p.readyAfter),
			"keysReady": time.Since(p.start) >= p.readyAfter+p.keysAfter})(r)
	})
}

func oneAttempt() portal.Option { return portal.WithRetry(vipps.RetryPolicy{MaxAttempts: 1}) }

// events collects OnPoll events.
type events struct{ list []salesunit.PollEvent }

func (e *events) on(ev salesunit.PollEvent) { e.list = append(e.list, ev) }

func (e *events) totalDelay() time.Duration {
	var d time.Duration
	for _, ev := range e.list {
		d += ev.NextDelay
	}
	return d
}

func TestWaitUntilReadyAfterManyPolls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMockAPI(t, oneAttempt())
		p := &provisioning{start: time.Now(), readyAfter: 90 * time.Second, keysAfter: 30 * time.Second}
		p.register(m)
		var ev events
		start := time.Now()
		u, err := m.client.TestUnits.WaitUntilReady(t.Context(), creationID, &salesunit.WaitOptions{WaitForKeys: true, OnPoll: ev.on})
		require.NoError(t, err)
		assert.Equal(t, unitMSN, u.MSN)
		assert.True(t, u.KeysReady)

		elapsed := time.Since(start)
		assert.GreaterOrEqual(t, elapsed, 120*time.Second, "not before the keys were ready")
		assert.Less(t, elapsed, 120*time.Second+24*time.Second, "at most one (jittered) max delay late")
		assert.Equal(t, ev.totalDelay(), elapsed, "the waiter waited exactly the delays it reported")
		// One event per poll, the last one too; the poll that sees COMPLETED also reads the unit.
		require.Equal(t, p.creationGets+p.gets-1, len(ev.list))
		final := ev.list[len(ev.list)-1]
		assert.Zero(t, final.NextDelay, "the last event ends the wait")
		require.NotNil(t, final.Unit)
		assert.True(t, final.Unit.KeysReady)
		assert.True(t, final.Done)
		assert.Equal(t, "test unit", final.Kind)
		assert.Equal(t, unitMSN, final.ID)
		polls := ev.list[:len(ev.list)-1]
		assert.Greater(t, p.creationGets, 3)
		assert.Greater(t, p.gets, 1)

		var sawCreation, sawUnit bool
		for i, e := range polls {
			assert.Equal(t, i+1, e.Attempt)
			assert.NoError(t, e.Err)
			assert.GreaterOrEqual(t, e.NextDelay, 2*time.Second*8/10, "MinDelay less 20% jitter")
			assert.LessOrEqual(t, e.NextDelay, 20*time.Second*12/10, "MaxDelay plus 20% jitter")
			assert.False(t, e.Estimated, "no Retry-After: the own schedule")
			switch {
			case e.Creation != nil && e.Unit == nil:
				assert.False(t, sawUnit, "creations come first")
				assert.Equal(t, salesunit.CreationPending, e.Creation.Status)
				assert.Equal(t, "PENDING", e.Status)
				assert.Equal(t, "creation", e.Kind)
				assert.Equal(t, creationID, e.ID)
				sawCreation = true
			case e.Unit != nil && e.Creation == nil:
				assert.False(t, e.Unit.KeysReady)
				assert.Equal(t, "without keys", e.Status)
				sawUnit = true
			default:
				t.Fatalf("event %d has no single record: %+v", i, e)
			}
		}
		assert.True(t, sawCreation && sawUnit)
		// Delays grow from MinDelay (2 s ±20%) towards MaxDelay (20 s ±20%).
		assert.InDelta(t, float64(2*time.Second), float64(polls[0].NextDelay), float64(400*time.Millisecond))
		assert.Greater(t, polls[len(polls)-1].NextDelay, 10*time.Second)
	})
}

func TestWaitUntilReadyWithoutKeysReturnsOnCompletion(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMockAPI(t, oneAttempt())
		p := &provisioning{start: time.Now(), readyAfter: 10 * time.Second, keysAfter: time.Hour}
		p.register(m)
		u, err := m.client.TestUnits.WaitUntilReady(t.Context(), creationID, &salesunit.WaitOptions{MinDelay: time.Second, MaxDelay: time.Second})
		require.NoError(t, err)
		assert.False(t, u.KeysReady)
		assert.Equal(t, 1, p.gets)
		// About one poll a second (each delay is jittered by up to ±20%).
		assert.InDelta(t, 11, p.creationGets, 3)
	})
}

func TestWaitUntilReadyFailedStopsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMockAPI(t, oneAttempt())
		p := &provisioning{start: time.Now(), failAfter: 5 * time.Second}
		p.register(m)
		var ev events
		start := time.Now()
		_, err := m.client.TestUnits.WaitUntilReady(t.Context(), creationID, &salesunit.WaitOptions{MinDelay: time.Second, MaxDelay: time.Second, OnPoll: ev.on})
		require.ErrorIs(t, err, salesunit.ErrCreationFailed)
		var cf *salesunit.CreationFailedError
		require.ErrorAs(t, err, &cf)
		assert.Equal(t, salesunit.CreationFailed, cf.Creation.Status)
		require.NotNil(t, cf.Creation.Failure)
		assert.Equal(t, "provisioning-failed", cf.Creation.Failure.Name())
		assert.Contains(t, err.Error(), "no test capacity")
		assert.Equal(t, ev.totalDelay(), time.Since(start), "no wait after the FAILED record")
		assert.Equal(t, p.creationGets-1, len(ev.list))
		assert.Zero(t, p.gets)
	})
}

func TestWaitUntilReadyStopsAtOnceOnClientErrors(t *testing.T) {
	for _, c := range []struct {
		status   int
		name     string
		sentinel error
	}{
		{http.StatusBadRequest, "invalid-request", vipps.ErrBadRequest},
		{http.StatusUnauthorized, "invalid-token", vipps.ErrUnauthorized},
		{http.StatusForbidden, "not-a-portal-user", vipps.ErrForbidden},
		{http.StatusNotFound, "not-found", vipps.ErrNotFound},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				m := newMockAPI(t, oneAttempt())
				p := &provisioning{start: time.Now(), readyAfter: time.Minute}
				for range 2 { // a 401 Problem makes the core fetch a new token and try once more
					p.creationFaults = append(p.creationFaults, problemResponder(c.status, c.name))
				}
				p.register(m)
				var ev events
				start := time.Now()
				_, err := m.client.TestUnits.WaitUntilReady(t.Context(), creationID, &salesunit.WaitOptions{OnPoll: ev.on})
				requireAPIError(t, err, c.status, c.name, c.sentinel)
				assert.Zero(t, time.Since(start), "no second poll")
				assert.Empty(t, ev.list)
				if c.status == http.StatusUnauthorized {
					assert.Equal(t, 2, p.creationGets)
				} else {
					assert.Equal(t, 1, p.creationGets)
				}
			})
		})
	}
}

// 503, 500, 429 (with Retry-After in both forms) and 409 keys-not-ready (with
// Retry-After) keep the wait going, and a Retry-After longer than the waiter's
// own delay is the delay.
func TestWaitUntilReadyKeepsPollingOnTransientErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMockAPI(t, oneAttempt())
		p := &provisioning{start: time.Now(), readyAfter: 0, keysAfter: 0}
		p.creationFaults = []httpmock.Responder{
			problemResponder(http.StatusServiceUnavailable, "unavailable"),
			problemResponder(http.StatusTooManyRequests, "rate-limited", "Retry-After", "7"),
			problemResponder(http.StatusInternalServerError, "internal"),
			func(r *http.Request) (*http.Response, error) { // Retry-After as an HTTP-date, 9-10 s ahead
				at := time.Now().Add(10 * time.Second).Truncate(time.Second).UTC().Format(http.TimeFormat)
				return problemResponder(http.StatusServiceUnavailable, "unavailable", "Retry-After", at)(r)
			},
		}
		p.unitFaults = []httpmock.Responder{problemResponder(http.StatusConflict, "keys-not-ready", "Retry-After", "30")}
		p.register(m)
		var ev events
		start := time.Now()
		u, err := m.client.TestUnits.WaitUntilReady(t.Context(), creationID, &salesunit.WaitOptions{WaitForKeys: true, OnPoll: ev.on})
		require.NoError(t, err)
		assert.True(t, u.KeysReady)
		require.Len(t, ev.list, 6, "five polls that keep going, then the one that ends the wait")
		assert.Zero(t, ev.list[5].NextDelay)
		assert.ErrorIs(t, ev.list[0].Err, vipps.ErrServer)
		assert.ErrorIs(t, ev.list[1].Err, vipps.ErrRateLimited)
		assert.Equal(t, 7*time.Second, ev.list[1].NextDelay, "Retry-After: 7 honoured")
		assert.ErrorIs(t, ev.list[2].Err, vipps.ErrServer)
		assert.ErrorIs(t, ev.list[3].Err, vipps.ErrServer)
		assert.Greater(t, ev.list[3].NextDelay, 9*time.Second, "the HTTP-date form honoured")
		assert.LessOrEqual(t, ev.list[3].NextDelay, 10*time.Second)
		assert.ErrorIs(t, ev.list[4].Err, vipps.ErrKeysNotReady)
		assert.Equal(t, 30*time.Second, ev.list[4].NextDelay, "keys-not-ready's Retry-After honoured, above MaxDelay too")
		for _, e := range ev.list[:5] {
			assert.True(t, e.Creation == nil && e.Unit == nil && e.Status == "", "an error poll has no state")
		}
		assert.Equal(t, ev.totalDelay(), time.Since(start))
		assert.Equal(t, 5, p.creationGets)
		assert.Equal(t, 2, p.gets)
	})
}

func TestWaitUntilReadyTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMockAPI(t, oneAttempt())
		p := &provisioning{start: time.Now(), readyAfter: time.Hour}
		p.register(m)
		start := time.Now()
		_, err := m.client.TestUnits.WaitUntilReady(t.Context(), creationID, &salesunit.WaitOptions{Timeout: 30 * time.Second})
		require.ErrorIs(t, err, vipps.ErrWaitTimeout)
		var wt *vipps.WaitTimeoutError
		require.ErrorAs(t, err, &wt)
		assert.Equal(t, "creation", wt.Kind)
		assert.Equal(t, creationID, wt.ID)
		assert.Equal(t, "PENDING", wt.LastStatus)
		assert.Equal(t, fmt.Sprintf("vipps: creation %s still PENDING after 29s (%d polls)", creationID, wt.Attempts), err.Error())
		assert.Equal(t, 29*time.Second, wt.Elapsed, "the last poll is a second before the bound, to be answered within it")
		assert.Equal(t, 29*time.Second, time.Since(start))
		assert.Equal(t, p.creationGets, wt.Attempts)

		// Waiting for keys that never come: Last is the unit.
		p2 := &provisioning{start: time.Now(), keysAfter: time.Hour}
		m2 := newMockAPI(t, oneAttempt())
		p2.register(m2)
		_, err = m2.client.TestUnits.WaitUntilReady(t.Context(), creationID, &salesunit.WaitOptions{Timeout: time.Minute, WaitForKeys: true})
		require.ErrorAs(t, err, &wt)
		assert.Equal(t, "test unit", wt.Kind, "the wait was for the unit's keys")
		assert.Equal(t, unitMSN, wt.ID)
		assert.Equal(t, "without keys", wt.LastStatus)
		assert.Contains(t, err.Error(), "test unit "+unitMSN+" still without keys after ")

		// A timeout whose last poll failed keeps that error.
		p3 := &provisioning{start: time.Now(), readyAfter: time.Hour}
		for range 100 {
			p3.creationFaults = append(p3.creationFaults, problemResponder(http.StatusServiceUnavailable, "unavailable"))
		}
		m3 := newMockAPI(t, oneAttempt())
		p3.register(m3)
		_, err = m3.client.TestUnits.WaitUntilReady(t.Context(), creationID, &salesunit.WaitOptions{Timeout: 10 * time.Second})
		require.ErrorAs(t, err, &wt)
		assert.Empty(t, wt.LastStatus)
		assert.ErrorIs(t, err, vipps.ErrServer)
		assert.Contains(t, err.Error(), "creation "+creationID+" not seen after ")
	})
}

func TestWaitUntilReadyContextEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMockAPI(t, oneAttempt())
		p := &provisioning{start: time.Now(), readyAfter: time.Hour}
		p.register(m)
		ctx, cancel := context.WithTimeout(t.Context(), 45*time.Second)
		defer cancel()
		_, err := m.client.TestUnits.WaitUntilReady(ctx, creationID, nil)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, 45*time.Second, time.Since(p.start))
	})
}

// How many polls does a unit that is ready after 120 s cost? The default
// options (2 s growing by half to 20 s) against a fixed 1 s.
func TestWaitUntilReadyPollCost(t *testing.T) {
	count := func(opts *salesunit.WaitOptions) (polls, requests int) {
		synctest.Test(t, func(t *testing.T) {
			m := newMockAPI(t, oneAttempt())
			p := &provisioning{start: time.Now(), readyAfter: 120 * time.Second}
			p.register(m)
			_, err := m.client.TestUnits.WaitUntilReady(t.Context(), creationID, opts)
			require.NoError(t, err)
			// Each poll reads the creation; the one that sees COMPLETED also reads the unit.
			polls, requests = p.creationGets, p.creationGets+p.gets
		})
		return polls, requests
	}
	def, defReq := count(nil)
	fixed, fixedReq := count(&salesunit.WaitOptions{MinDelay: time.Second, MaxDelay: time.Second})
	t.Logf("unit ready after 120 s: default WaitOptions %d polls (%d requests); fixed 1 s polling %d polls (%d requests)", def, defReq, fixed, fixedReq)
	// Fixed 1 s polling (each delay jittered ±20%) polls about 121 times (0, 1 ... 120 s).
	assert.InDelta(t, 121, fixed, 20)
	assert.LessOrEqual(t, def, 13)
	assert.Less(t, def*8, fixed, "the default costs far fewer polls")
}

// waitFigures are what many waits for a unit ready 120 s (plus a random
// fraction of a second) after it was ordered cost: creation polls, and how late
// the waiter saw the unit.
type waitFigures struct{ polls, late []time.Duration }

func (f *waitFigures) pct(xs []time.Duration, p float64) time.Duration {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

func measureWaits(t *testing.T, trials int, estimate bool) *waitFigures {
	f := &waitFigures{}
	for range trials {
		synctest.Test(t, func(t *testing.T) {
			m := newMockAPI(t, oneAttempt())
			ready := 120*time.Second + time.Duration(rand.Int64N(int64(time.Second)))
			p := &provisioning{start: time.Now(), readyAfter: ready, estimate: estimate}
			p.register(m)
			_, err := m.client.TestUnits.WaitUntilReady(t.Context(), creationID, nil)
			require.NoError(t, err)
			f.polls = append(f.polls, time.Duration(p.creationGets))
			f.late = append(f.late, time.Since(p.start)-ready)
		})
	}
	return f
}

// The table of the notes: with the server's estimate (contract 1.1's
// Retry-After on a pending creation) against the waiter's own schedule, over
// 200 trials each on synctest's fake clock. Run with -v to see it.
func TestWaitUntilReadyFollowsServerEstimate(t *testing.T) {
	const trials = 200
	with, without := measureWaits(t, trials, true), measureWaits(t, trials, false)
	t.Logf("unit ready 120 s + U(0,1) s after the order, default WaitOptions, %d trials each:", trials)
	t.Logf("%-22s %13s %10s %13s %10s %10s", "", "polls median", "polls p90", "late median", "late p90", "late max")
	for _, r := range []struct {
		name string
		f    *waitFigures
	}{{"with Retry-After", with}, {"without (own schedule)", without}} {
		t.Logf("%-22s %13d %10d %13s %10s %10s", r.name, r.f.pct(r.f.polls, .5), r.f.pct(r.f.polls, .9),
			r.f.pct(r.f.late, .5).Round(time.Millisecond), r.f.pct(r.f.late, .9).Round(time.Millisecond), r.f.pct(r.f.late, 1).Round(time.Millisecond))
	}
	assert.LessOrEqual(t, with.pct(with.polls, 1), time.Duration(5), "at most 5 creation polls in every trial")
	assert.LessOrEqual(t, with.pct(with.late, .9), 2*time.Second, "seen within 2 s of being ready at the 90th percentile")
	// Without an estimate, the schedule of before: a dozen polls, seconds late.
	assert.GreaterOrEqual(t, without.pct(without.polls, .5), time.Duration(10))
	assert.Greater(t, without.pct(without.late, .9), 10*time.Second)
}

// A test can see its unit at once: the simulator driven on demand, the
// creation completed (and keys issued) before the wait, which then returns on
// its first poll with no delay at all.
func TestWaitUntilReadyOnDemandIsImmediate(t *testing.T) {
	s := newSim(t, portaltest.WithManualProvisioning())
	admin := s.AdminClient(fastRetry)
	cr, err := admin.TestUnits.Create(t.Context(), salesunit.TestUnitRequest{Name: "Dev shop"})
	require.NoError(t, err)
	msn, err := s.CompleteCreation(cr.CreationID)
	require.NoError(t, err)
	require.NoError(t, s.IssueKeys(msn))
	var ev events
	u, err := admin.TestUnits.WaitUntilReady(t.Context(), cr.CreationID, &salesunit.WaitOptions{WaitForKeys: true, OnPoll: ev.on})
	require.NoError(t, err)
	assert.True(t, u.KeysReady)
	require.Len(t, ev.list, 1, "one poll")
	assert.True(t, ev.list[0].Done)
	assert.Zero(t, ev.list[0].NextDelay)
}

// Issue 8: the bound covers the poll in flight. A server that stops answering
// cannot hold the waiter past WaitOptions.Timeout, even under a context
// without deadline.
func TestWaitUntilReadyBoundCoversPollInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// The attempt timeout (30 s by default) would cut the hanging poll first:
		// lift it, so what ends the poll is the wait's own bound.
		m := newMockAPI(t, portal.WithRetry(vipps.RetryPolicy{MaxAttempts: 1, AttemptTimeout: time.Hour}))
		p := &provisioning{start: time.Now(), readyAfter: time.Hour}
		p.creationFaults = []httpmock.Responder{
			func(r *http.Request) (*http.Response, error) {
				return jsonResponder(http.StatusOK, map[string]any{"creationId": creationID, "status": "PENDING", "createdAt": p.start, "request": map[string]any{"name": "Dev shop", "options": map[string]bool{}}})(r)
			},
			func(r *http.Request) (*http.Response, error) { <-r.Context().Done(); return nil, r.Context().Err() }, // never answers
		}
		p.register(m)
		_, err := m.client.TestUnits.WaitUntilReady(context.Background(), creationID, &salesunit.WaitOptions{Timeout: time.Minute})
		var wt *vipps.WaitTimeoutError
		require.ErrorAs(t, err, &wt)
		assert.Equal(t, time.Minute, time.Since(p.start), "cut at the bound")
		assert.Equal(t, 2, wt.Attempts)
		assert.Equal(t, "PENDING", wt.LastStatus)
	})
}

// Issue 8: WaitOptions{MinDelay: 1} is raised to the 100 ms floor instead of
// polling thousands of times a second.
func TestWaitOptionsDelayFloor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMockAPI(t, oneAttempt())
		p := &provisioning{start: time.Now(), readyAfter: time.Hour}
		p.register(m)
		var ev events
		_, err := m.client.TestUnits.WaitUntilReady(t.Context(), creationID, &salesunit.WaitOptions{MinDelay: 1, MaxDelay: 1, Timeout: 10 * time.Second, OnPoll: ev.on})
		require.ErrorIs(t, err, vipps.ErrWaitTimeout)
		assert.LessOrEqual(t, p.creationGets, 100, "at most ten polls a second")
		for _, e := range ev.list[:len(ev.list)-1] {
			assert.GreaterOrEqual(t, e.NextDelay, 100*time.Millisecond)
		}
	})
}

// PrintProgress writes one readable line per poll, and nothing secret.
func TestPrintProgress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMockAPI(t, oneAttempt())
		p := &provisioning{start: time.Now(), readyAfter: 90 * time.Second, keysAfter: 3 * time.Second, estimate: true}
		p.creationFaults = []httpmock.Responder{problemResponder(http.StatusServiceUnavailable, "unavailable")}
		p.register(m)
		var out strings.Builder
		_, err := m.client.TestUnits.WaitUntilReady(t.Context(), creationID, &salesunit.WaitOptions{WaitForKeys: true, OnPoll: salesunit.PrintProgress(&out)})
		require.NoError(t, err)
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		require.GreaterOrEqual(t, len(lines), 4)
		assert.Regexp(t, `^creation `+creationID+`: poll failed \(vipps: GET .*503.*\) after 0s \(poll 1\); next poll in \d`, lines[0])
		assert.Regexp(t, `^creation `+creationID+`: PENDING after [12](\.\d)?s \(poll 2\); next poll in 1m2\d(\.\d)?s \(server's estimate\)$`, lines[1])
		// The estimate is whole seconds (ceil), so poll 3 is in [90 s, 91 s): printed to a tenth, 1m30s to 1m31s.
		assert.Regexp(t, `^test unit `+unitMSN+`: without keys after 1m(30(\.\d)?|31)s \(poll 3\); next poll in `, lines[2])
		assert.Regexp(t, `^test unit `+unitMSN+`: ready after .* \(poll \d+\): ready$`, lines[len(lines)-1])
		for _, secret := range []string{testToken, testSubKey, "secret-1"} {
			assert.NotContains(t, out.String(), secret)
		}
	})
}

func orderJSON(status string, withUnit bool) map[string]any {
	o := map[string]any{"productOrderType": "PREFILL", "productOrderId": orderID, "productType": "CHECKOUT", "status": status,
		"businessIdentifier": map[string]string{"scheme": "business:NO:ORG", "id": "987654325"}}
	if withUnit {
		o["salesUnit"] = map[string]string{"msn": "345678", "name": "ACME Shop"}
	}
	return o
}

// orderSteps answers each GET of the order with the next status (the last repeats).
func orderSteps(m *mockAPI, statuses ...string) *int {
	n := 0
	m.mock.RegisterResponder(http.MethodGet, base+"/management/v2/product-orders/"+orderID+"/details", func(r *http.Request) (*http.Response, error) {
		s := statuses[min(n, len(statuses)-1)]
		n++
		if s == "503" {
			return problemResponder(http.StatusServiceUnavailable, "unavailable")(r)
		}
		resp, err := jsonResponder(http.StatusOK, orderJSON(s, s == "COMPLETED"))(r)
		resp.Header.Set("Content-Type", mgmtJSON)
		return resp, err
	})
	return &n
}

func TestWaitUntilCompleted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMockAPI(t, oneAttempt())
		n := orderSteps(m, "RECEIVED", "MERCHANT_VIEWED", "503", "MERCHANT_VIEWED", "ORDER_SUBMITTED", "COMPLETED")
		var ev events
		start := time.Now()
		o, err := m.client.ProductOrders.WaitUntilCompleted(t.Context(), orderID, &salesunit.WaitOptions{OnPoll: ev.on})
		require.NoError(t, err)
		assert.Equal(t, salesunit.OrderCompleted, o.Status)
		assert.Equal(t, &salesunit.MSNInfo{MSN: "345678", Name: "ACME Shop"}, o.SalesUnit)
		assert.Equal(t, 6, *n)
		require.Len(t, ev.list, 6)
		assert.Equal(t, salesunit.OrderCompleted, ev.list[5].Order.Status)
		assert.Equal(t, salesunit.OrderMerchantViewed, ev.list[1].Order.Status)
		assert.Equal(t, "MERCHANT_VIEWED", ev.list[1].Status)
		assert.Nil(t, ev.list[2].Order)
		assert.Equal(t, "product order", ev.list[0].Kind)
		assert.Equal(t, orderID, ev.list[0].ID)
		assert.ErrorIs(t, ev.list[2].Err, vipps.ErrServer)
		assert.Equal(t, ev.totalDelay(), time.Since(start))
	})
}

func TestWaitUntilCompletedStopsOnClosedOrders(t *testing.T) {
	for _, status := range []string{"REJECTED", "EXPIRED"} {
		t.Run(status, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				m := newMockAPI(t, oneAttempt())
				n := orderSteps(m, "RECEIVED", "ORDER_SUBMITTED", status)
				var ev events
				start := time.Now()
				_, err := m.client.ProductOrders.WaitUntilCompleted(t.Context(), orderID, &salesunit.WaitOptions{OnPoll: ev.on})
				require.ErrorIs(t, err, salesunit.ErrOrderClosed)
				var oc *salesunit.OrderClosedError
				require.ErrorAs(t, err, &oc)
				assert.Equal(t, salesunit.ProductOrderStatus(status), oc.Order.Status)
				assert.Equal(t, orderID, oc.Order.ProductOrderID)
				assert.Contains(t, err.Error(), status)
				assert.Equal(t, 3, *n, "stopped at the closed record")
				assert.Equal(t, ev.totalDelay(), time.Since(start))
			})
		})
	}
}

func TestWaitUntilCompletedErrorsAndTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMockAPI(t, oneAttempt())
		m.mock.RegisterResponder(http.MethodGet, base+"/management/v2/product-orders/"+orderID+"/details", problemResponder(http.StatusNotFound, "not-found"))
		m.mock.RegisterResponder(http.MethodGet, base+"/management/v2/product-orders", stringResponder(`[]`))
		start := time.Now()
		_, err := m.client.ProductOrders.WaitUntilCompleted(t.Context(), orderID, nil)
		requireAPIError(t, err, http.StatusNotFound, vipps.ProblemNotFound, vipps.ErrNotFound)
		assert.Zero(t, time.Since(start))
		assert.Equal(t, 1, m.mock.GetCallCountInfo()["GET "+base+"/management/v2/product-orders"], "the list was asked once: an order in neither is the 404")

		orderSteps(m, "MERCHANT_VIEWED")
		_, err = m.client.ProductOrders.WaitUntilCompleted(t.Context(), orderID, &salesunit.WaitOptions{Timeout: 5 * time.Minute})
		require.ErrorIs(t, err, vipps.ErrWaitTimeout)
		var wt *vipps.WaitTimeoutError
		require.ErrorAs(t, err, &wt)
		assert.Equal(t, "MERCHANT_VIEWED", wt.LastStatus)
		assert.Contains(t, err.Error(), "product order "+orderID+" still MERCHANT_VIEWED after 4m59s")
		assert.Equal(t, 5*time.Minute-time.Second, time.Since(start))
	})
}

// Vipps marks getProductOrderDetails as coming: while it answers 404, the
// waiter follows the order in the v2 list (getProductOrders), and keeps to it.
func TestWaitUntilCompletedFallsBackToList(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMockAPI(t, oneAttempt())
		details := 0
		m.mock.RegisterResponder(http.MethodGet, base+"/management/v2/product-orders/"+orderID+"/details", func(r *http.Request) (*http.Response, error) {
			details++
			return problemResponder(http.StatusNotFound, "not-found")(r)
		})
		steps := []string{"RECEIVED", "MERCHANT_VIEWED", "503", "ORDER_SUBMITTED", "COMPLETED"}
		lists := 0
		m.mock.RegisterResponder(http.MethodGet, base+"/management/v2/product-orders", func(r *http.Request) (*http.Response, error) {
			st := steps[min(lists, len(steps)-1)]
			lists++
			if st == "503" {
				return problemResponder(http.StatusServiceUnavailable, "unavailable")(r)
			}
			other := orderJSON("RECEIVED", false)
			other["productOrderId"] = "00000000-0000-4000-8000-000000000000"
			return jsonResponder(http.StatusOK, []any{other, orderJSON(st, st == "COMPLETED")})(r)
		})
		var ev events
		o, err := m.client.ProductOrders.WaitUntilCompleted(t.Context(), orderID, &salesunit.WaitOptions{OnPoll: ev.on})
		require.NoError(t, err)
		assert.Equal(t, salesunit.OrderCompleted, o.Status)
		assert.Equal(t, orderID, o.ProductOrderID)
		require.NotNil(t, o.SalesUnit)
		assert.Equal(t, "345678", o.SalesUnit.MSN)
		assert.Equal(t, 1, details, "after the first 404 the details operation is not asked again")
		assert.Equal(t, 5, lists)
		require.Len(t, ev.list, 5)
		assert.Equal(t, salesunit.OrderMerchantViewed, ev.list[1].Order.Status)
		assert.ErrorIs(t, ev.list[2].Err, vipps.ErrServer)
	})
}

// The waiters against the simulator, driven on demand from OnPoll: no clock,
// no sleep; the simulator moves when the waiter reports a poll.
func TestWaitUntilReadyAgainstSimulator(t *testing.T) {
	s := bubbleSim(t, portaltest.WithManualProvisioning())
	synctest.Test(t, func(t *testing.T) { waitUntilReadyAgainstSimulator(t, s) })
}

func waitUntilReadyAgainstSimulator(t *testing.T, s *portaltest.Server) {
	admin := s.AdminClient(fastRetry, inBubble(s))
	ctx := t.Context()
	cr, err := admin.TestUnits.Create(ctx, salesunit.TestUnitRequest{Name: "Dev shop", Options: salesunit.TestUnitOptions{Recurring: true}})
	require.NoError(t, err)

	var msn string
	fast := &salesunit.WaitOptions{WaitForKeys: true} // the default delays, on the fake clock
	fast.OnPoll = func(ev salesunit.PollEvent) {
		switch ev.Attempt {
		case 3:
			require.NotNil(t, ev.Creation)
			msn, err = s.CompleteCreation(cr.CreationID)
			require.NoError(t, err)
		case 5:
			u := ev.Unit
			require.NotNil(t, u)
			assert.False(t, u.KeysReady)
			require.NoError(t, s.IssueKeys(u.MSN))
		}
	}
	u, err := admin.TestUnits.WaitUntilReady(ctx, cr.CreationID, fast)
	require.NoError(t, err)
	assert.Equal(t, msn, u.MSN)
	assert.True(t, u.KeysReady)
	assert.Len(t, s.RequestsOf("getTestSalesUnitCreation"), 4, "PENDING three times, then COMPLETED")
	assert.Len(t, s.RequestsOf("getTestSalesUnit"), 3)

	// A FAILED creation stops the wait with its record.
	s.FailNextCreation("no test capacity")
	cr2, err := admin.TestUnits.Create(ctx, salesunit.TestUnitRequest{Name: "Doomed shop"})
	require.NoError(t, err)
	_, err = s.CompleteCreation(cr2.CreationID)
	require.Error(t, err) // the simulator reports the failure it was armed with
	_, err = admin.TestUnits.WaitUntilReady(ctx, cr2.CreationID, fast)
	var cf *salesunit.CreationFailedError
	require.ErrorAs(t, err, &cf)
	assert.ErrorIs(t, err, salesunit.ErrCreationFailed)
	assert.Equal(t, cr2.CreationID, cf.Creation.CreationID)
	require.NotNil(t, cf.Creation.Failure)
	assert.Equal(t, "provisioning-failed", cf.Creation.Failure.Name())
	assert.Contains(t, cf.Creation.Failure.Detail, "no test capacity")
	failed, err := admin.TestUnits.Creations(ctx, &salesunit.CreationListOptions{Status: salesunit.CreationFailed})
	require.NoError(t, err)
	require.Len(t, failed.Items, 1)
	assert.Equal(t, cr2.CreationID, failed.Items[0].CreationID)
}

func TestWaitUntilCompletedAgainstSimulator(t *testing.T) {
	s := bubbleSim(t)
	synctest.Test(t, func(t *testing.T) { waitUntilCompletedAgainstSimulator(t, s) })
}

func waitUntilCompletedAgainstSimulator(t *testing.T, s *portaltest.Server) {
	partner := simClient(t, s, s.PartnerCredentials(portaltest.PartnerID), inBubble(s))
	ctx := t.Context()
	o, err := partner.ProductOrders.Prefill(ctx, salesunit.ProductOrderRequest{BusinessIdentifier: acme, ProductType: salesunit.ProductCheckout, SalesUnitName: "ACME Shop"})
	require.NoError(t, err)
	steps := []string{"MERCHANT_VIEWED", "ORDER_SUBMITTED", "COMPLETED"}
	opts := &salesunit.WaitOptions{OnPoll: func(ev salesunit.PollEvent) {
		if ev.Attempt <= len(steps) {
			require.NoError(t, s.SetOrderStatus(o.ProductOrderID, steps[ev.Attempt-1]))
		}
	}}
	done, err := partner.ProductOrders.WaitUntilCompleted(ctx, o.ProductOrderID, opts)
	require.NoError(t, err)
	assert.Equal(t, salesunit.OrderCompleted, done.Status)
	require.NotNil(t, done.SalesUnit)
	unit, err := partner.SalesUnits.Get(ctx, done.SalesUnit.MSN)
	require.NoError(t, err, "the new production unit is connected to the partner")
	assert.Equal(t, acme, unit.BusinessIdentifier)

	o2, err := partner.ProductOrders.Prefill(ctx, salesunit.ProductOrderRequest{BusinessIdentifier: acme, ProductType: salesunit.ProductLogin})
	require.NoError(t, err)
	require.NoError(t, s.SetOrderStatus(o2.ProductOrderID, "REJECTED"))
	_, err = partner.ProductOrders.WaitUntilCompleted(ctx, o2.ProductOrderID, opts)
	assert.ErrorIs(t, err, salesunit.ErrOrderClosed)
	assert.Len(t, s.RequestsOf("getProductOrderDetails"), 4+1)
}

// handlerTransport serves requests with an http.Handler in memory: no network,
// so a synctest bubble's fake clock can run the simulator's delays.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body == nil {
		r.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// bubbleSim starts a simulator whose Handler a synctest bubble uses through
// inBubble: its clock is then the bubble's, so waits take no real time.
func bubbleSim(t *testing.T, opts ...portaltest.Option) *portaltest.Server {
	s := portaltest.NewServer(opts...)
	// Shutdown, not Close: Close waits on a WaitGroup that the bubble's
	// requests touched, which sync forbids outside the bubble.
	t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	return s
}

// inBubble sends a client's requests to s's Handler in memory.
func inBubble(s *portaltest.Server) portal.Option {
	return portal.WithHTTPClient(&http.Client{Transport: handlerTransport{s.Handler()}})
}

// The simulator's delays on synctest's fake clock: a unit provisioned in two
// minutes, keys ten seconds later, waited for with the default options in no
// real time.
func TestWaitUntilReadyOnSimulatorFakeClock(t *testing.T) {
	s := bubbleSim(t, portaltest.WithProvisioningDelay(2*time.Minute), portaltest.WithKeysDelay(10*time.Second))
	synctest.Test(t, func(t *testing.T) {
		c := s.AdminClient(fastRetry, inBubble(s))
		start := time.Now()
		cr, err := c.TestUnits.Create(t.Context(), salesunit.TestUnitRequest{Name: "Dev shop"})
		require.NoError(t, err)
		var ev events
		u, err := c.TestUnits.WaitUntilReady(t.Context(), cr.CreationID, &salesunit.WaitOptions{WaitForKeys: true, OnPoll: ev.on})
		require.NoError(t, err)
		assert.True(t, u.KeysReady)
		assert.GreaterOrEqual(t, time.Since(start), 130*time.Second)
		assert.Less(t, time.Since(start), 160*time.Second)
		t.Logf("%d polls, ready after %s on the fake clock", len(ev.list), time.Since(start))
	})
}
