package portaltest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// The delivery rules of the contract's "Webhooks": a 2xx within 10 seconds
// delivers; anything else is retried with growing delays for up to 7 days;
// a registration whose notifications have all failed for 14 days is deleted.
const (
	attemptTimeout  = 10 * time.Second
	retryWindow     = 7 * 24 * time.Hour
	removalAfter    = 14 * 24 * time.Hour
	maxPayload      = 1 << 20  // a notification's body, as any request body
	maxReceiverBody = 64 << 10 // read of a receiver's answer, then discarded
	idleWait        = time.Hour
)

// retryDelays is the wait after each failed attempt: seconds at first, then
// minutes, then hours, then daily (the last repeats) until the 7 days are up.
var retryDelays = []time.Duration{5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute,
	30 * time.Minute, time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour}

// retryDelay is the wait after the attempt-th failed attempt (1-based).
func retryDelay(attempt int) time.Duration {
	return retryDelays[min(attempt, len(retryDelays))-1]
}

// notification is one event on its way to one registration.
type notification struct {
	seq       uint64 // the order of Notify calls
	event     string
	reference string // "": unordered
	body      []byte // the same bytes on every attempt
	attempts  int
	firstAt   time.Time // when the first attempt was due: the 7 days count from there
	nextAt    time.Time // when the next attempt is due
}

// Delivery is one attempt to deliver a notification, as [Server.Deliveries]
// records it. It holds no secret.
type Delivery struct {
	WebhookID string    // the registration's id
	URL       string    // its registered URL, where the attempt went
	Event     string    // the event name
	Attempt   int       // 1 for the first attempt at this notification
	Status    int       // the receiver's HTTP status; 0 when none came
	Time      time.Time // when it was made, on the server clock: the x-ms-date sent
	Err       string    // why it did not deliver; "" when a 2xx came
}

// Delivered reports whether the receiver took the notification (a 2xx).
func (d Delivery) Delivered() bool { return d.Status >= 200 && d.Status < 300 }

// deliverer is the server's delivery machinery; its fields are set once by
// startDeliveries.
type deliverer struct {
	runMu     sync.Mutex // one run of due deliveries at a time
	client    *http.Client
	own       *http.Transport // the default transport, closed with the server; nil when injected
	ctx       context.Context // ends when the server closes: attempts in flight stop
	stop      context.CancelFunc
	wake      chan struct{} // a new notification: the loop looks again
	loopDone  chan struct{} // nil without a loop (a clock of the test's own)
	stopOnce  sync.Once
	notifySeq uint64 // guarded by Server.mu
}

func (s *Server) startDeliveries() {
	d := &s.deliveries
	d.ctx, d.stop = context.WithCancel(context.Background())
	// Make the context's channel now, outside any synctest bubble: made
	// lazily by an attempt inside one (a user's test calling
	// RunDueDeliveries there), Close could not close it.
	_ = d.ctx.Done()
	d.wake = make(chan struct{}, 1)
	rt := s.cfg.webhookTransport
	if rt == nil {
		d.own = http.DefaultTransport.(*http.Transport).Clone()
		rt = d.own
	}
	d.client = &http.Client{Transport: rt, Timeout: attemptTimeout,
		// A receiver's redirect is an answer that is not a 2xx: never followed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if !s.cfg.clockSet {
		d.loopDone = make(chan struct{})
		go s.deliveryLoop()
	}
}

// stopDeliveries ends the loop and any attempt in flight, and closes the
// idle connections of the simulator's own transport.
func (s *Server) stopDeliveries() {
	d := &s.deliveries
	if d.stop == nil {
		return // never started (a server that never listened)
	}
	d.stopOnce.Do(func() {
		d.stop()
		if d.loopDone != nil {
			<-d.loopDone
		}
		d.runMu.Lock() // a RunDueDeliveries in progress ends with its attempt
		defer d.runMu.Unlock()
		if d.own != nil {
			d.own.CloseIdleConnections()
		}
	})
}

// deliveryLoop delivers on the real clock: one goroutine, one attempt at a
// time, sleeping until the next attempt or removal falls due or a new
// notification arrives.
func (s *Server) deliveryLoop() {
	d := &s.deliveries
	defer close(d.loopDone)
	timer := time.NewTimer(idleWait)
	defer timer.Stop()
	for {
		s.RunDueDeliveries()
		wait := idleWait
		s.mu.Lock()
		if at, ok := s.nextDeliveryEvent(); ok {
			wait = max(at.Sub(s.now()), 0)
		}
		s.mu.Unlock()
		timer.Reset(min(wait, idleWait))
		select {
		case <-d.ctx.Done():
			return
		case <-d.wake:
		case <-timer.C:
		}
	}
}

func (s *Server) wakeDeliveries() {
	select {
	case s.deliveries.wake <- struct{}{}:
	default:
	}
}

// errNoRegistration: Notify found no registration to deliver to.
var errNoRegistration = errors.New("no registration holds the event")

// Notify sends a notification of event with payload (a JSON object) about
// sales unit msn to every registration that holds the event: the unit's own,
// and the partner-wide ones of every partner connected to it. It returns
// once the notification is queued; the attempts follow the contract (signed,
// retried on the simulator's clock, in order per registration and
// `reference`): with the real clock at once, with a clock of the test's own
// when the test calls [Server.RunDueDeliveries]. It is an error when the
// event is not in the catalog, the payload is not a JSON object (at most 1
// MiB), the unit does not exist, or no registration holds the event.
func (s *Server) Notify(msn, event string, payload []byte) error {
	_, err := s.notify(msn, event, payload)
	return err
}

// notify is Notify that also says how many registrations it queued for.
func (s *Server) notify(msn, event string, payload []byte) (int, error) {
	if !slices.Contains(webhookEvents, event) {
		return 0, fmt.Errorf("portaltest: Notify: unknown event %q (the catalog: %s)", event, strings.Join(webhookEvents, ", "))
	}
	ref, err := notificationReference(payload)
	if err != nil {
		return 0, fmt.Errorf("portaltest: Notify: payload: %w", err)
	}
	s.mu.Lock()
	now := s.now()
	if s.st.units[msn] == nil {
		s.mu.Unlock()
		return 0, fmt.Errorf("portaltest: Notify: no sales unit %q", msn)
	}
	targets := filter(s.st.webhooks, func(w *webhook) bool { return w.holds(event) && s.covers(w, msn) })
	body := bytes.Clone(payload)
	for _, w := range targets {
		s.deliveries.notifySeq++
		w.queue = append(w.queue, &notification{seq: s.deliveries.notifySeq, event: event, reference: ref, body: body, nextAt: now})
	}
	s.mu.Unlock()
	if len(targets) == 0 {
		return 0, fmt.Errorf("portaltest: Notify: %w: no registration of sales unit %s, nor a partner-wide one of a partner connected to it, holds %s",
			errNoRegistration, msn, event)
	}
	s.wakeDeliveries()
	return len(targets), nil
}

// covers reports whether a registration receives notifications about unit
// msn: its own unit's, or partner-wide of a partner connected to msn now.
func (s *Server) covers(w *webhook, msn string) bool {
	if w.scope.partner == "" {
		return w.scope.msn == msn
	}
	p := s.st.partners[w.scope.partner]
	return p != nil && p.connected[msn]
}

// notificationReference checks payload is a JSON object and returns its
// top-level "reference" when that is a string: notifications with the same
// reference are delivered in order.
func notificationReference(payload []byte) (string, error) {
	if len(payload) > maxPayload {
		return "", fmt.Errorf("over %d bytes", maxPayload)
	}
	if !utf8.Valid(payload) {
		return "", errors.New("not valid UTF-8")
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(payload, &obj); err != nil || obj == nil {
		return "", errors.New("must be a JSON object")
	}
	var ref string
	if raw, ok := obj["reference"]; ok && json.Unmarshal(raw, &ref) == nil {
		return ref, nil
	}
	return "", nil
}

// RunDueDeliveries makes every delivery attempt due on the server clock, in
// the order they fell due, one at a time, and deletes the registrations
// whose notifications have all failed for 14 days; it returns the number of
// attempts it made. Attempts that fell due while the clock jumped are all
// made (each with x-ms-date the time it is made), so a test can advance a
// [ManualClock] by hours and see the retries of those hours. With the real
// clock the server runs this by itself; a test may still call it to know the
// first attempt of a notification has been made when it returns. Attempts
// are made without holding the server, so a receiver may call its API or
// Notify; it must not call RunDueDeliveries, which waits for the attempt.
func (s *Server) RunDueDeliveries() int {
	d := &s.deliveries
	d.runMu.Lock()
	defer d.runMu.Unlock()
	n := 0
	for d.ctx.Err() == nil {
		a, ok := s.nextAttempt()
		if !ok {
			break
		}
		s.attempt(a)
		n++
	}
	return n
}

// attemptJob is one attempt, taken out of the store so that it is made
// without holding the server's lock (a receiver may call the simulator).
type attemptJob struct {
	w      *webhook
	n      *notification
	due    time.Time
	number int
	url    string
	target *url.URL
	secret string
}

// nextAttempt takes the earliest attempt due by now; registrations due for
// removal before it are removed first.
func (s *Server) nextAttempt() (attemptJob, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for {
		w, n := s.earliestDue()
		r := s.earliestRemoval()
		if r != nil && !r.failingSince.Add(removalAfter).After(now) && (n == nil || !r.failingSince.Add(removalAfter).After(n.nextAt)) {
			delete(s.st.webhooks, r.id)
			continue
		}
		if n == nil || n.nextAt.After(now) {
			return attemptJob{}, false
		}
		n.attempts++
		if n.attempts == 1 {
			n.firstAt = n.nextAt
		}
		return attemptJob{w: w, n: n, due: n.nextAt, number: n.attempts, url: w.url, target: w.target, secret: w.secret}, true
	}
}

// earliestDue finds the notification whose next attempt is due first (ties
// by the order of Notify) among those not held back: a notification waits
// for the earlier ones of its registration with the same reference.
func (s *Server) earliestDue() (*webhook, *notification) {
	var bw *webhook
	var bn *notification
	for _, w := range s.st.webhooks {
		for i, n := range w.queue {
			if n.reference != "" && slices.ContainsFunc(w.queue[:i], func(p *notification) bool { return p.reference == n.reference }) {
				continue
			}
			if bn == nil || n.nextAt.Before(bn.nextAt) || (n.nextAt.Equal(bn.nextAt) && n.seq < bn.seq) {
				bw, bn = w, n
			}
		}
	}
	return bw, bn
}

// earliestRemoval finds the failing registration to be deleted first.
func (s *Server) earliestRemoval() *webhook {
	var out *webhook
	for _, w := range s.st.webhooks {
		if !w.failingSince.IsZero() && (out == nil || w.failingSince.Before(out.failingSince)) {
			out = w
		}
	}
	return out
}

// NextDelivery returns when the next delivery attempt, or the removal of a
// failing registration, falls due on the server clock; false when nothing is
// pending. A test on a [ManualClock] can step through the retry schedule:
//
//	for at, ok := s.NextDelivery(); ok; at, ok = s.NextDelivery() {
//		clock.AdvanceTo(at)
//		s.RunDueDeliveries()
//	}
func (s *Server) NextDelivery() (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nextDeliveryEvent()
}

// nextDeliveryEvent is when the next attempt or removal falls due; s.mu is held.
func (s *Server) nextDeliveryEvent() (time.Time, bool) {
	var at time.Time
	if _, n := s.earliestDue(); n != nil {
		at = n.nextAt
	}
	if r := s.earliestRemoval(); r != nil {
		if t := r.failingSince.Add(removalAfter); at.IsZero() || t.Before(at) {
			at = t
		}
	}
	return at, !at.IsZero()
}

// attempt makes one signed POST and settles the outcome.
func (s *Server) attempt(a attemptJob) {
	at := s.now()
	date := at.Format(http.TimeFormat)
	hash, authorization := signNotification(a.secret, a.target, date, a.n.body)
	status, why := 0, ""
	req, err := http.NewRequestWithContext(s.deliveries.ctx, http.MethodPost, a.url, bytes.NewReader(a.n.body))
	if err == nil {
		// The contract's spelling of the three headers, sent as written.
		req.Header["Content-Type"] = []string{"application/json"}
		req.Header["x-ms-date"] = []string{date}
		req.Header["x-ms-content-sha256"] = []string{hash}
		req.Header["Authorization"] = []string{authorization}
		var resp *http.Response
		if resp, err = s.deliveries.client.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxReceiverBody))
			_ = resp.Body.Close()
			status = resp.StatusCode
			if resp.StatusCode < 200 || resp.StatusCode > 299 {
				why = fmt.Sprintf("answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
			}
		}
	}
	if err != nil {
		why = s.deliveryError(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recordDelivery(Delivery{WebhookID: a.w.id, URL: a.url, Event: a.n.event, Attempt: a.number, Status: status, Time: at, Err: why})
	w, n := a.w, a.n
	if why == "" {
		w.failingSince = time.Time{}
		settle(w, n, a.due)
		return
	}
	if w.failingSince.IsZero() {
		w.failingSince = a.due
	}
	next := a.due.Add(retryDelay(n.attempts))
	if next.After(n.firstAt.Add(retryWindow)) {
		settle(w, n, a.due) // the 7 days are up: given up
		return
	}
	n.nextAt = next
}

// settle takes a delivered or abandoned notification off its registration's
// queue; the next one of the same reference may go from then on.
func settle(w *webhook, n *notification, at time.Time) {
	i := slices.Index(w.queue, n)
	if i < 0 {
		return
	}
	w.queue = slices.Delete(w.queue, i, i+1)
	if n.reference == "" {
		return
	}
	for _, later := range w.queue[i:] {
		if later.reference == n.reference {
			if later.nextAt.Before(at) {
				later.nextAt = at
			}
			return
		}
	}
}

// deliveryError says why an attempt got no answer, without the URL (the
// Delivery has it) and never with a secret (none is in the request's URL).
func (s *Server) deliveryError(err error) string {
	var ue *url.Error
	switch {
	case s.deliveries.ctx.Err() != nil:
		return "the simulator closed before an answer came"
	case errors.As(err, &ue) && ue.Timeout():
		return fmt.Sprintf("no answer within %s", attemptTimeout)
	case errors.As(err, &ue):
		return ue.Err.Error()
	}
	return err.Error()
}

// signNotification computes the contract's two signing headers: the body's
// hash (x-ms-content-sha256) and the Authorization value, an HMAC-SHA256
// keyed with the secret's UTF-8 bytes over
// "POST\n<path and query>\n<x-ms-date>;<host>;<hash>" of the registered URL.
func signNotification(secret string, target *url.URL, date string, body []byte) (hash, authorization string) {
	sum := sha256.Sum256(body)
	hash = base64.StdEncoding.EncodeToString(sum[:])
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("POST\n" + target.RequestURI() + "\n" + date + ";" + target.Host + ";" + hash))
	return hash, "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=" +
		base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// recordDelivery appends to the delivery log, a ring of the newest
// cfg.logLimit attempts; s.mu is held.
func (s *Server) recordDelivery(d Delivery) {
	if len(s.deliveryLog) < s.cfg.logLimit {
		s.deliveryLog = append(s.deliveryLog, d)
		return
	}
	s.deliveryLog[s.deliveryStart] = d
	s.deliveryStart = (s.deliveryStart + 1) % len(s.deliveryLog)
}

// Deliveries returns a copy of the delivery log, oldest first: every attempt
// to deliver a notification, as many of the newest as the request log keeps
// (WithRequestLogLimit).
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Delivery, 0, len(s.deliveryLog))
	for i := range s.deliveryLog {
		out = append(out, s.deliveryLog[(s.deliveryStart+i)%len(s.deliveryLog)])
	}
	return out
}
