package portaltest_test

// Contract 1.2, the notifications of registerWebhook's `notification`
// callback: signed exactly as "Webhooks" says (checked here with the test's
// own HMAC code, and against the callback's parameters in the contract),
// retried with growing delays on the simulator's clock for up to 7 days,
// in order per registration and reference, and a registration whose
// notifications have all failed for 14 days deleted.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/portal/portaltest"
)

// notice is one notification a receiver got.
type notice struct {
	URL    string
	Header map[string][]string // as sent: the keys keep their spelling
	Body   []byte
}

func (n notice) reference() string {
	var v struct {
		Reference string `json:"reference"`
	}
	_ = json.Unmarshal(n.Body, &v)
	return v.Reference
}

// receiver is an in-memory webhook receiver (WithWebhookTransport): it
// records every request and answers with what answer says for it (a status;
// 0 is no answer at all).
type receiver struct {
	mu     sync.Mutex
	got    []notice
	answer func(n notice, nth int) int // nth counts this URL's requests from 1
}

func (rc *receiver) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	_ = req.Body.Close()
	if err != nil {
		return nil, err
	}
	n := notice{URL: req.URL.String(), Header: map[string][]string(req.Header.Clone()), Body: body}
	rc.mu.Lock()
	rc.got = append(rc.got, n)
	nth := 0
	for _, g := range rc.got {
		if g.URL == n.URL {
			nth++
		}
	}
	status := http.StatusOK
	if rc.answer != nil {
		status = rc.answer(n, nth)
	}
	rc.mu.Unlock()
	if status == 0 {
		return nil, errors.New("connection reset by peer")
	}
	h := http.Header{}
	if status/100 == 3 {
		h.Set("Location", "https://elsewhere.example.com/vipps")
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader("ok")), Request: req}, nil
}

// byURL answers ifMatch to a notification whose URL contains part, otherwise
// the other status.
func byURL(part string, ifMatch, otherwise int) func(notice, int) int {
	return func(n notice, _ int) int {
		if strings.Contains(n.URL, part) {
			return ifMatch
		}
		return otherwise
	}
}

func (rc *receiver) notices() []notice {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]notice(nil), rc.got...)
}

// verifySignature checks a notification as a receiver following the
// contract would, against the URL it registered: the content hash of the
// body, and the HMAC-SHA256 over "POST\n<path and query>\n<date>;<host>;<hash>"
// keyed with the secret's UTF-8 bytes.
func verifySignature(t testing.TB, secret, registeredURL string, n notice) {
	t.Helper()
	u, err := url.Parse(registeredURL)
	require.NoError(t, err)
	sum := sha256.Sum256(n.Body)
	hash := base64.StdEncoding.EncodeToString(sum[:])
	assert.Equal(t, []string{hash}, n.Header["x-ms-content-sha256"], "x-ms-content-sha256 is base64 SHA-256 of the body")

	date := n.Header["x-ms-date"]
	require.Len(t, date, 1, "one x-ms-date")
	parsed, err := time.Parse(time.RFC1123, date[0])
	require.NoError(t, err, "x-ms-date is RFC 1123: %q", date[0])
	assert.True(t, strings.HasSuffix(date[0], " GMT"), "in GMT: %q", date[0])
	assert.Equal(t, date[0], parsed.UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT"))

	pathAndQuery := u.EscapedPath()
	if pathAndQuery == "" {
		pathAndQuery = "/"
	}
	if u.RawQuery != "" {
		pathAndQuery += "?" + u.RawQuery
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("POST\n" + pathAndQuery + "\n" + date[0] + ";" + u.Host + ";" + hash))
	want := "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=" + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	assert.Equal(t, []string{want}, n.Header["Authorization"], "the signature over the registered URL")
	assert.Equal(t, []string{"application/json"}, n.Header["Content-Type"])
}

// checkCallback validates a notification's headers and body against the
// `notification` callback of registerWebhook in the contract.
func checkCallback(t testing.TB, c *contract, n notice) {
	t.Helper()
	cb := c.doc.Paths.Find(pathWebhooks).Post.Callbacks["notification"].Value
	require.Equal(t, 1, cb.Len())
	op := cb.Value(cb.Keys()[0]).Post
	for _, p := range op.Parameters {
		var vs []string // header names are case-insensitive; the notice keeps them as sent
		for k, v := range n.Header {
			if strings.EqualFold(k, p.Value.Name) {
				vs = append(vs, v...)
			}
		}
		if p.Value.Required {
			require.Len(t, vs, 1, "the callback's header %s", p.Value.Name)
		}
		for _, v := range vs {
			assert.NoError(t, p.Value.Schema.Value.VisitJSON(v), "header %s: %q", p.Value.Name, v)
		}
	}
	var body any
	require.NoError(t, json.Unmarshal(n.Body, &body))
	assert.NoError(t, op.RequestBody.Value.Content.Get("application/json").Schema.Value.VisitJSON(body))
}

// webhookHarness is a simulator on a manual clock whose notifications go to
// an in-memory receiver.
func webhookHarness(t testing.TB, rc *receiver, opts ...portaltest.Option) (*harness, *portaltest.ManualClock) {
	t.Helper()
	clock := portaltest.NewManualClock(t0)
	return newHarness(t, append([]portaltest.Option{portaltest.WithClock(clock.Now), portaltest.WithWebhookTransport(rc)}, opts...)...), clock
}

const captured = `{"msn":"123456","reference":"order-1001","pspReference":"7686f7788898767977","name":"CAPTURED",` +
	`"amount":{"currency":"NOK","value":1000},"timestamp":"2026-03-01T12:00:00Z","idempotencyKey":"k-1","success":true}`

// A notification goes to every registration holding the event - the unit's
// own and the partner-wide ones of a partner connected to it - signed as the
// contract says, once the test runs the due deliveries.
func TestNotifyDeliversSignedNotifications(t *testing.T) {
	rc := &receiver{}
	h, clock := webhookHarness(t, rc)
	unit, partner := h.unit(t, portaltest.ProductionMSN), h.partner(t)
	const (
		unitURL    = "https://shop.example.com/vipps/webhooks?tenant=7"
		partnerURL = "https://platform.example.com:8080/hooks"
		rootURL    = "https://root.example.com"
	)
	own := h.mustRegister(t, unit, "", unitURL, eventCaptured)
	wide := h.mustRegister(t, partner, "", partnerURL, eventCaptured, eventCreated)
	root := h.mustRegister(t, unit, "", rootURL, eventCaptured)
	h.mustRegister(t, unit, "", "https://other-event.example.com", eventCreated)
	secrets := map[string]string{unitURL: own.Secret, partnerURL: wide.Secret, rootURL: root.Secret}

	clock.Advance(90 * time.Second)
	require.NoError(t, h.s.Notify(portaltest.ProductionMSN, eventCaptured, []byte(captured)))
	assert.Empty(t, rc.notices(), "with a clock of the test's own, nothing is sent until the test runs the deliveries")
	assert.Equal(t, 3, h.s.RunDueDeliveries())
	assert.Zero(t, h.s.RunDueDeliveries(), "each delivered once")

	got := rc.notices()
	require.Len(t, got, 3)
	c := mustContract(t)
	for _, n := range got {
		secret, ok := secrets[n.URL]
		require.True(t, ok, "a notification to an unregistered URL: %s", n.URL)
		assert.Equal(t, captured, string(n.Body), "the payload, byte for byte")
		assert.Equal(t, []string{clock.Now().Format(http.TimeFormat)}, n.Header["x-ms-date"], "the time of the attempt on the server clock")
		verifySignature(t, secret, n.URL, n)
		checkCallback(t, c, n)
	}
	deliveries := h.s.Deliveries()
	require.Len(t, deliveries, 3, "one attempt per registration, each delivered")
	for _, d := range deliveries {
		assert.True(t, d.Delivered(), "%+v", d)
		assert.Equal(t, 1, d.Attempt)
		assert.Equal(t, http.StatusOK, d.Status)
		assert.Equal(t, eventCaptured, d.Event)
		assert.Equal(t, clock.Now(), d.Time)
		assert.Empty(t, d.Err)
	}

	// Partner-wide covers every connected unit (OtherMSN, of another
	// merchant); an unconnected unit has no registration for the event.
	require.NoError(t, h.s.Notify(portaltest.OtherMSN, eventCreated, []byte(`{"reference":"x-1"}`)))
	assert.Equal(t, 1, h.s.RunDueDeliveries())
	assert.Equal(t, partnerURL, rc.notices()[3].URL)
	err := h.s.Notify(portaltest.SecondProductionMSN, eventCaptured, []byte(`{}`))
	assert.ErrorContains(t, err, "no registration")
}

// Notify refuses what it cannot deliver: an event outside the catalog, a
// payload that is not a JSON object, a unit that does not exist.
func TestNotifyRefusesBadInput(t *testing.T) {
	h, _ := webhookHarness(t, &receiver{})
	h.mustRegister(t, h.unit(t, portaltest.ProductionMSN), "", hookURL, eventCaptured)
	for name, c := range map[string]struct {
		msn, event, payload, want string
	}{
		"unknown event":   {portaltest.ProductionMSN, "epayments.payment.teleported.v1", `{}`, "unknown event"},
		"an array":        {portaltest.ProductionMSN, eventCaptured, `[]`, "JSON object"},
		"null":            {portaltest.ProductionMSN, eventCaptured, `null`, "JSON object"},
		"a number":        {portaltest.ProductionMSN, eventCaptured, `1`, "JSON object"},
		"cut JSON":        {portaltest.ProductionMSN, eventCaptured, `{"a":`, "JSON object"},
		"two objects":     {portaltest.ProductionMSN, eventCaptured, `{}{}`, "JSON object"},
		"empty":           {portaltest.ProductionMSN, eventCaptured, ``, "JSON object"},
		"not UTF-8":       {portaltest.ProductionMSN, eventCaptured, "{\"a\":\"\xff\"}", "UTF-8"},
		"unknown unit":    {"99999999", eventCaptured, `{}`, "no sales unit"},
		"no registration": {portaltest.ProductionMSN, eventCreated, `{}`, "no registration"},
	} {
		err := h.s.Notify(c.msn, c.event, []byte(c.payload))
		assert.ErrorContains(t, err, c.want, name)
	}
	assert.Zero(t, h.s.RunDueDeliveries(), "nothing was queued")
}

// "anything else is retried with growing delays ..., the same body each
// time, x-ms-date the time of the attempt": a receiver that refuses three
// times (two statuses and no answer) gets it again until it accepts.
func TestNotifyRetriesUntilAccepted(t *testing.T) {
	rc := &receiver{answer: func(_ notice, nth int) int {
		return [...]int{http.StatusInternalServerError, http.StatusServiceUnavailable, 0, http.StatusNoContent}[min(nth, 4)-1]
	}}
	h, clock := webhookHarness(t, rc)
	reg := h.mustRegister(t, h.unit(t, portaltest.ProductionMSN), "", hookURL, eventCaptured)
	require.NoError(t, h.s.Notify(portaltest.ProductionMSN, eventCaptured, []byte(captured)))

	assert.Equal(t, 1, h.s.RunDueDeliveries())
	assert.Zero(t, h.s.RunDueDeliveries(), "a retry waits for the clock")
	var times []time.Time
	for attempt := 2; ; attempt++ {
		at, ok := h.s.NextDelivery()
		require.True(t, ok, "attempt %d is scheduled", attempt)
		require.True(t, at.After(clock.Now()), "in the future")
		clock.Advance(at.Sub(clock.Now()) - time.Millisecond)
		assert.Zero(t, h.s.RunDueDeliveries(), "not before it is due")
		clock.Advance(time.Millisecond)
		times = append(times, clock.Now())
		require.Equal(t, 1, h.s.RunDueDeliveries())
		if attempt == 4 {
			break
		}
	}
	_, pending := h.s.NextDelivery()
	assert.False(t, pending, "delivered: nothing more to do")

	got := rc.notices()
	require.Len(t, got, 4)
	for i, n := range got {
		assert.Equal(t, captured, string(n.Body), "the same body on attempt %d", i+1)
		verifySignature(t, reg.Secret, hookURL, n)
	}
	assert.NotEqual(t, got[0].Header["x-ms-date"], got[1].Header["x-ms-date"], "each attempt is dated when it is made")
	assert.Less(t, times[0].Sub(t0), times[1].Sub(times[0]), "the delays grow")
	assert.Less(t, times[1].Sub(times[0]), times[2].Sub(times[1]))

	ds := h.s.Deliveries()
	require.Len(t, ds, 4)
	for i, want := range []int{500, 503, 0, 204} {
		assert.Equal(t, i+1, ds[i].Attempt)
		assert.Equal(t, want, ds[i].Status)
		assert.Equal(t, reg.ID, ds[i].WebhookID)
		assert.Equal(t, hookURL, ds[i].URL)
		assert.Equal(t, want == 204, ds[i].Delivered())
		assert.Equal(t, want == 204, ds[i].Err == "", "Err says why, only for a failure: %q", ds[i].Err)
		assert.NotContains(t, ds[i].Err, reg.Secret)
	}
	assert.Contains(t, ds[2].Err, "connection reset", "no answer: the transport's reason")
}

// The whole schedule of a notification nobody takes: seconds, then minutes,
// hours, daily, for up to 7 days, then it is given up; 14 days after the
// failures began the registration is deleted. A registration that delivers
// stays.
func TestNotifyGivesUpAfter7DaysAndRemovesAfter14(t *testing.T) {
	rc := &receiver{answer: byURL("healthy", http.StatusOK, http.StatusBadGateway)}
	h, clock := webhookHarness(t, rc)
	unit := h.unit(t, portaltest.ProductionMSN)
	broken := h.mustRegister(t, unit, "", hookURL+"/broken", eventCaptured)
	healthy := h.mustRegister(t, unit, "", hookURL+"/healthy", eventCaptured)
	require.NoError(t, h.s.Notify(portaltest.ProductionMSN, eventCaptured, []byte(captured)))
	start := clock.Now()

	for at, ok := h.s.NextDelivery(); ok && at.Sub(start) < 7*24*time.Hour+time.Minute; at, ok = h.s.NextDelivery() {
		clock.AdvanceTo(at)
		h.s.RunDueDeliveries()
	}
	var times []time.Time
	for _, d := range h.s.Deliveries() {
		if d.WebhookID == broken.ID {
			times = append(times, d.Time)
			assert.Equal(t, http.StatusBadGateway, d.Status)
			assert.Equal(t, len(times), d.Attempt)
		}
	}
	require.Greater(t, len(times), 10, "retried many times")
	var gaps []time.Duration
	for i := 1; i < len(times); i++ {
		gaps = append(gaps, times[i].Sub(times[i-1]))
	}
	assert.Less(t, gaps[0], time.Minute, "seconds at first")
	assert.True(t, slicesSortedNonDecreasing(gaps), "growing delays: %v", gaps)
	assert.GreaterOrEqual(t, gaps[len(gaps)-1], 24*time.Hour, "daily at the end")
	assert.LessOrEqual(t, times[len(times)-1].Sub(times[0]), 7*24*time.Hour, "for up to 7 days")
	assert.Greater(t, times[len(times)-1].Sub(times[0]), 6*24*time.Hour)
	assert.Zero(t, pendingOf(h.s.State(), broken.ID), "given up: no longer pending")
	unit = h.unit(t, portaltest.ProductionMSN) // a fresh token on the moved clock
	assert.Len(t, h.listHooks(t, unit, "").Webhooks, 2, "not yet removed")

	// 14 days after the first failure, the failing registration goes.
	removal, ok := h.s.NextDelivery()
	require.True(t, ok, "the removal is scheduled")
	assert.Equal(t, times[0].Add(14*24*time.Hour), removal)
	clock.AdvanceTo(removal.Add(-time.Second))
	h.s.RunDueDeliveries()
	unit = h.unit(t, portaltest.ProductionMSN)
	assert.Len(t, h.listHooks(t, unit, "").Webhooks, 2, "one second before the 14 days")
	clock.AdvanceTo(removal)
	assert.Zero(t, h.s.RunDueDeliveries())
	assert.Equal(t, []string{healthy.ID}, ids(h.listHooks(t, unit, "")), "the failing one is deleted, the healthy one stays")
	_, ok = h.s.NextDelivery()
	assert.False(t, ok)
}

// A failure that ends resets the 14 days: a registration that delivers
// once in a while is not removed, even with failures in between.
func TestNotifyDeliveryResetsRemoval(t *testing.T) {
	failing := true
	rc := &receiver{answer: func(notice, int) int {
		if failing {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	}}
	h, clock := webhookHarness(t, rc)
	unit := h.unit(t, portaltest.ProductionMSN)
	reg := h.mustRegister(t, unit, "", hookURL, eventCaptured)
	for day := range 20 {
		require.NoError(t, h.s.Notify(portaltest.ProductionMSN, eventCaptured, []byte(`{"n":1}`)))
		failing = day%10 != 9 // one good day in ten
		h.s.RunDueDeliveries()
		clock.Advance(24 * time.Hour)
		h.s.RunDueDeliveries()
	}
	unit = h.unit(t, portaltest.ProductionMSN) // a fresh token on the moved clock
	assert.Equal(t, []string{reg.ID}, ids(h.listHooks(t, unit, "")))
}

// "Notifications of one registration about one reference arrive in order: a
// failing one holds back the later ones of that reference." Other references,
// and notifications without one, are not held back.
func TestNotifyOrderPerReference(t *testing.T) {
	rc := &receiver{answer: func(n notice, _ int) int {
		if n.reference() == "order-A1" && strings.Contains(string(n.Body), `"step":1`) {
			return http.StatusTooManyRequests
		}
		return http.StatusOK
	}}
	h, clock := webhookHarness(t, rc)
	h.mustRegister(t, h.unit(t, portaltest.ProductionMSN), "", hookURL, eventCaptured)
	notify := func(payload string) {
		require.NoError(t, h.s.Notify(portaltest.ProductionMSN, eventCaptured, []byte(payload)))
	}
	notify(`{"reference":"order-A1","step":1}`)
	notify(`{"reference":"order-A1","step":2}`)
	notify(`{"reference":"order-B2","step":1}`)
	notify(`{"step":0}`)
	notify(`{"reference":"order-A1","step":3}`)
	h.s.RunDueDeliveries()
	var seen []string
	for _, n := range rc.notices() {
		seen = append(seen, string(n.Body))
	}
	assert.Equal(t, []string{`{"reference":"order-A1","step":1}`, `{"reference":"order-B2","step":1}`, `{"step":0}`}, seen,
		"the first of A1 failed: the later ones of A1 wait, the others go")

	// The receiver starts taking A1's first: the held-back ones follow, in order.
	rc.mu.Lock()
	rc.answer = nil
	rc.mu.Unlock()
	at, ok := h.s.NextDelivery()
	require.True(t, ok)
	clock.AdvanceTo(at)
	assert.Equal(t, 3, h.s.RunDueDeliveries())
	seen = nil
	for _, n := range rc.notices()[3:] {
		seen = append(seen, string(n.Body))
	}
	assert.Equal(t, []string{`{"reference":"order-A1","step":1}`, `{"reference":"order-A1","step":2}`, `{"reference":"order-A1","step":3}`}, seen)
}

// A receiver's redirect is an answer that is not a 2xx: never followed.
func TestNotifyFollowsNoRedirect(t *testing.T) {
	rc := &receiver{answer: byURL("elsewhere", http.StatusOK, http.StatusFound)}
	h, _ := webhookHarness(t, rc)
	h.mustRegister(t, h.unit(t, portaltest.ProductionMSN), "", hookURL, eventCaptured)
	require.NoError(t, h.s.Notify(portaltest.ProductionMSN, eventCaptured, []byte(`{}`)))
	h.s.RunDueDeliveries()
	got := rc.notices()
	require.Len(t, got, 1, "no request to the Location")
	d := h.s.Deliveries()
	require.Len(t, d, 1)
	assert.Equal(t, http.StatusFound, d[0].Status)
	assert.False(t, d[0].Delivered())
}

// With WithLocalWebhooks a receiver on this machine gets notifications over
// the network (http on a loopback port), signed over its host and port. On
// the real clock the simulator's own goroutine delivers; RunDueDeliveries
// returns once the due ones have been attempted, so the test never sleeps.
func TestNotifyOverTheNetworkToALocalReceiver(t *testing.T) {
	got := make(chan notice, 4)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- notice{URL: "http://" + r.Host + r.URL.RequestURI(), Header: r.Header.Clone(), Body: body}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer recv.Close()
	h := newHarness(t, portaltest.WithLocalWebhooks())
	registeredURL := recv.URL + "/vipps/hooks?x=1"
	reg := h.mustRegister(t, h.unit(t, portaltest.ProductionMSN), "", registeredURL, eventCaptured)

	require.NoError(t, h.s.Notify(portaltest.ProductionMSN, eventCaptured, []byte(captured)))
	h.s.RunDueDeliveries()
	select {
	case n := <-got:
		assert.Equal(t, registeredURL, n.URL)
		// Go's server canonicalizes header names; the receiver reads them so.
		n.Header = map[string][]string{"x-ms-date": http.Header(n.Header).Values("X-Ms-Date"),
			"x-ms-content-sha256": http.Header(n.Header).Values("X-Ms-Content-Sha256"),
			"Authorization":       http.Header(n.Header).Values("Authorization"),
			"Content-Type":        http.Header(n.Header).Values("Content-Type")}
		verifySignature(t, reg.Secret, registeredURL, n)
	default:
		t.Fatal("RunDueDeliveries returned before the first attempt was made")
	}
	d := h.s.Deliveries()
	require.Len(t, d, 1)
	assert.Equal(t, http.StatusAccepted, d[0].Status)
}

// Close ends an attempt in flight (the loop's or a test's) and stops the
// delivery goroutine (goleak checks it in TestMain).
func TestCloseEndsAnAttemptInFlight(t *testing.T) {
	started := make(chan struct{})
	rt := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		close(started)
		<-req.Context().Done()
		return nil, req.Context().Err()
	})
	s := portaltest.NewServer(portaltest.WithWebhookTransport(rt))
	defer s.Close()
	h := &harness{s: s, client: &http.Client{Transport: newValidatingTransport(t, mustContract(t), http.DefaultTransport)}}
	h.mustRegister(t, h.unit(t, portaltest.ProductionMSN), "", hookURL, eventCaptured)
	require.NoError(t, s.Notify(portaltest.ProductionMSN, eventCaptured, []byte(`{}`)))
	<-started // the delivery goroutine is waiting for the receiver
	s.Close()
	d := s.Deliveries()
	require.Len(t, d, 1)
	assert.Zero(t, d[0].Status)
	assert.Contains(t, d[0].Err, "closed")
	assert.Zero(t, s.RunDueDeliveries(), "a closed simulator delivers nothing")
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func pendingOf(st portaltest.State, id string) int {
	for _, w := range st.Webhooks {
		if w.ID == id {
			return w.Pending
		}
	}
	return -1
}

func slicesSortedNonDecreasing(d []time.Duration) bool {
	for i := 1; i < len(d); i++ {
		if d[i] < d[i-1] {
			return false
		}
	}
	return true
}

// WithNotifyEndpoint (the standalone simulator serves it):
// POST /_simulator/notifications hands {"msn","event","payload"} to Notify.
// Not part of the contract: without the option it is a 404 like any path.
func TestNotifyEndpoint(t *testing.T) {
	plain := newHarness(t)
	assertProblem(t, plain.send(t, call{Method: http.MethodPost, Path: "/_simulator/notifications", Body: `{}`, Invalid: true}), 404, "not-found")

	rc := &receiver{}
	h, _ := webhookHarness(t, rc, portaltest.WithNotifyEndpoint())
	h.mustRegister(t, h.unit(t, portaltest.ProductionMSN), "", hookURL, eventCaptured)
	post := func(method, body string) (int, string) {
		req, err := http.NewRequestWithContext(t.Context(), method, h.s.URL+"/_simulator/notifications", strings.NewReader(body))
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		assert.NotEmpty(t, resp.Header.Get("X-Request-Id"))
		return resp.StatusCode, string(raw)
	}
	status, body := post(http.MethodPost, `{"msn":"123456","event":"`+eventCaptured+`","payload":{"reference":"order-9","name":"CAPTURED"}}`)
	require.Equal(t, http.StatusAccepted, status, body)
	assert.JSONEq(t, `{"registrations":1}`, body)
	assert.Equal(t, 1, h.s.RunDueDeliveries())
	require.Len(t, rc.notices(), 1)
	assert.JSONEq(t, `{"reference":"order-9","name":"CAPTURED"}`, string(rc.notices()[0].Body))

	for name, c := range map[string]struct {
		method, body string
		status       int
	}{
		"no registration holds it": {http.MethodPost, `{"msn":"123456","event":"user.checked-in.v1","payload":{}}`, 404},
		"an unknown unit":          {http.MethodPost, `{"msn":"99999999","event":"` + eventCaptured + `","payload":{}}`, 400},
		"a payload not an object":  {http.MethodPost, `{"msn":"123456","event":"` + eventCaptured + `","payload":[1]}`, 400},
		"no payload":               {http.MethodPost, `{"msn":"123456","event":"` + eventCaptured + `"}`, 400},
		"an unknown field":         {http.MethodPost, `{"msn":"123456","event":"` + eventCaptured + `","payload":{},"x":1}`, 400},
		"not JSON":                 {http.MethodPost, `{`, 400},
		"GET":                      {http.MethodGet, ``, 405},
	} {
		status, body := post(c.method, c.body)
		assert.Equal(t, c.status, status, "%s: %s", name, body)
		assert.Contains(t, body, `"detail"`, "%s: a Problem", name)
	}
	logged := h.s.RequestsOf("")
	require.NotEmpty(t, logged)
	assert.Equal(t, "/_simulator/notifications", logged[len(logged)-1].Path, "the log has it, with no operation")
}
