package soak

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/salesunit"
	"github.com/vippsportal/sdk/users"
	"github.com/vippsportal/sdk/vipps"
)

// Operations that do work and carry an Idempotency-Key (POST), and the other
// writes: the simulator drops the connection after doing their work.
var (
	idempotentOps = []string{"createTestSalesUnit", "regenerateKey", "inviteUser", "orderProduct"}
	dropOps       = append(slices.Clone(idempotentOps), "fetchAuthorizationTokenUsingPost", "grantAccess", "revokeAccess", "removeUser", "deleteProductOrder")
)

// injectFaults arms the simulator: about rate of all requests get a fault.
// Faults are tried in order; the probabilities are conditional so the shares add up.
func injectFaults(s *portaltest.Server, callTimeout time.Duration, r float64) {
	shares := []struct {
		share float64
		f     portaltest.Fault
	}{
		{0.15, portaltest.Fault{Status: http.StatusTooManyRequests, RetryAfter: time.Second}},
		{0.10, portaltest.Fault{Status: http.StatusTooManyRequests, RetryAfter: time.Second, RetryAfterDate: true}},
		{0.15, portaltest.Fault{Status: http.StatusServiceUnavailable}},
		{0.15, portaltest.Fault{Status: http.StatusInternalServerError}},
		{0.10, portaltest.Fault{Status: http.StatusBadGateway}},
		{0.05, portaltest.Fault{Status: http.StatusGatewayTimeout}},
		{0.03, portaltest.Fault{Delay: callTimeout + time.Second}}, // past the caller's deadline
	}
	used := 0.0
	for _, sh := range shares {
		p := r * sh.share / (1 - used)
		used += r * sh.share
		f := sh.f
		f.Times, f.Probability = -1, p
		s.InjectFault(f)
	}
	// Writes whose answer is lost after the work was done: the rest of the rate, on writes only.
	for _, op := range dropOps {
		s.InjectFault(portaltest.Fault{Operation: op, Times: -1, Probability: min(0.5, r), DropAfterWork: true})
	}
}

type callIDKey struct{}

// recorder is the workers' HTTP transport: it notes which Idempotency-Keys each
// logical call sent (a retry must reuse its key) and every token issued (for
// the log audit).
type recorder struct {
	next http.RoundTripper

	mu     sync.Mutex
	keys   map[int64]map[string]bool // logical call -> idempotency keys sent
	ops    map[int64]string          // logical call -> what the worker did
	tokens []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if id, ok := req.Context().Value(callIDKey{}).(int64); ok {
		if k := req.Header.Get("Idempotency-Key"); k != "" {
			r.mu.Lock()
			if r.keys[id] == nil {
				r.keys[id] = map[string]bool{}
			}
			r.keys[id][k] = true
			r.mu.Unlock()
		}
	}
	resp, err := r.next.RoundTrip(req)
	if err != nil || !strings.HasSuffix(req.URL.Path, "/accesstoken/get") || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if rerr != nil {
		return resp, nil
	}
	var t struct {
		AccessToken string `json:"access_token"`
	}
	if json.Unmarshal(body, &t) == nil && t.AccessToken != "" {
		r.mu.Lock()
		r.tokens = append(r.tokens, t.AccessToken)
		r.mu.Unlock()
	}
	return resp, nil
}

// Run starts the simulator, runs the workers and checks the outcome.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg = cfg.withDefaults()
	start := time.Now()
	// The checks read the whole request log: it must keep every request of
	// the run (a few per operation), not the simulator's default newest 10,000.
	logLimit := max(portaltest.DefaultRequestLogLimit, 50*cfg.Ops)
	s, err := portaltest.Start("127.0.0.1:0", portaltest.WithRandSeed(cfg.Seed), portaltest.WithRequestLogLimit(logLimit))
	if err != nil {
		return nil, err
	}
	defer s.Close()
	initial := s.State()

	base := http.DefaultTransport.(*http.Transport).Clone()
	base.MaxIdleConns, base.MaxIdleConnsPerHost = 256, 128
	defer base.CloseIdleConnections()
	rec := &recorder{next: base, keys: map[int64]map[string]bool{}, ops: map[int64]string{}}
	hc := &http.Client{Transport: rec}
	newClient := func(c vipps.Credentials) (*portal.Client, error) {
		opts := []portal.Option{
			portal.WithHTTPClient(hc),
			portal.WithSystem("soak", "1.0.0", "", ""),
			// Tight: the faults are frequent, the server is local, Retry-After is 1 s.
			portal.WithRetry(vipps.RetryPolicy{MaxAttempts: 5, MinBackoff: time.Millisecond,
				MaxBackoff: 20 * time.Millisecond, MaxRetryAfter: 2 * time.Second}),
		}
		if cfg.Logger != nil {
			opts = append(opts, portal.WithLogger(cfg.Logger))
		}
		return s.Client(c, opts...)
	}
	admin, err := newClient(s.UserCredentials(portaltest.AdminUserID))
	if err != nil {
		return nil, err
	}
	partner, err := newClient(s.PartnerCredentials(portaltest.PartnerID))
	if err != nil {
		return nil, err
	}

	injectFaults(s, cfg.CallTimeout, cfg.FaultRate)

	run := &soak{cfg: cfg, s: s, admin: admin, partner: partner, rec: rec}
	var next atomic.Int64
	var wg sync.WaitGroup
	workers := make([]*worker, cfg.Workers)
	for i := range workers {
		w := &worker{soak: run, id: i, rng: rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(i)))}
		workers[i] = w
		wg.Go(func() {
			for {
				n := next.Add(1)
				if n > int64(cfg.Ops) {
					return
				}
				if n%1000 == 0 && cfg.FaultRate > 0 {
					s.InjectFault(portaltest.Fault{Status: http.StatusServiceUnavailable, Times: 6}) // a burst
				}
				w.step(ctx, n)
			}
		})
	}
	wg.Wait()
	s.ClearFaults()
	// A delayed POST whose caller gave up can still be running: net/http does
	// not see the client leave before the handler reads the body, so the work
	// is done when the delay ends. Close waits for every handler: the checks
	// then see its work and its log entry together.
	s.Close()

	res := &Result{Requests: len(s.Requests()), Faults: s.FaultsInjected(), Elapsed: time.Since(start)}
	if res.Requests >= logLimit {
		return nil, fmt.Errorf("the request log filled (%d requests): the checks would miss the oldest", logLimit)
	}
	for _, w := range workers {
		res.Ops += w.ops
		res.OK += w.ok
		res.Failed += w.failed
		res.Untyped += w.untyped
		res.Findings = append(res.Findings, w.untypedText...)
	}
	run.check(res, workers, initial)
	return res, nil
}

type soak struct {
	cfg            Config
	s              *portaltest.Server
	admin, partner *portal.Client
	rec            *recorder
	callIDs        atomic.Int64
	seq            atomic.Int64 // unique names, phone numbers and business ids
	errLogMu       sync.Mutex
}

// The worker's view of what it was told.
type (
	ownedUnit struct {
		msn string
		set *keys.Set // the last key set read or regenerated, or nil
	}
	ownedUser struct {
		id, phone string
		grants    map[string][]string // msn -> sorted permissions after the last successful write
		unsure    bool                // a write on it failed: its grants are not known
	}
	regen struct {
		value       string // the value the caller was told
		failedAfter bool   // a later regenerate of the same key failed (its work may be done)
		// An earlier regenerate of the same key failed: its work may land after
		// this one (a server may finish a request whose caller gave up, as the
		// simulator does with a delayed POST it cannot see abandoned).
		failedBefore bool
	}
)

type worker struct {
	*soak
	id  int
	rng *rand.Rand

	ops, ok, failed, untyped int
	untypedText              []string

	creations    map[string]string // creation id -> unit name, for every Create that succeeded
	pending      []string          // creations not yet waited for
	units        []*ownedUnit
	readyMSNs    []string
	users        []*ownedUser
	invited      map[string]string // user id -> phone, every Invite that succeeded
	removed      map[string]bool   // user ids removed with success
	removeUnsure map[string]bool   // a Remove failed: the user may be gone
	orders       []string          // prefilled order ids still held
	prefilled    map[string]string // order id -> business id, every Prefill that succeeded
	deleted      map[string]bool   // orders deleted with success, or whose Delete failed
	regens       map[string]*regen // msn/keyName -> what the last successful Regenerate said
	regenFailed  map[string]bool   // msn/keyName -> a Regenerate of it failed
	seen         []string          // every secret value of a key set this worker was given
	sent         map[string]bool   // unit names and business ids this worker sent (for orphans)
}

// call runs one SDK operation with its own deadline and logical-call id.
func (w *worker) call(parent context.Context, op string, f func(ctx context.Context) error) bool {
	ctx, cancel := context.WithTimeout(parent, w.cfg.CallTimeout)
	defer cancel()
	id := w.callIDs.Add(1)
	w.rec.mu.Lock()
	w.rec.ops[id] = op
	w.rec.mu.Unlock()
	err := f(context.WithValue(ctx, callIDKey{}, id))
	w.ops++
	if err == nil {
		w.ok++
		return true
	}
	w.failed++
	if w.cfg.ErrLog != nil {
		w.errLogMu.Lock()
		fmt.Fprintf(w.cfg.ErrLog, "%s: %+v\n", op, err)
		w.errLogMu.Unlock()
	}
	if !typed(err) {
		w.untyped++
		w.untypedText = append(w.untypedText, fmt.Sprintf("untyped error from %s: %T %v", op, err, err))
	}
	return false
}

// typed reports whether err is one of the SDK's error types.
func typed(err error) bool {
	var (
		apiErr   *vipps.Error
		valErr   *vipps.ValidationError
		unsupErr *vipps.UnsupportedError
		waitErr  *vipps.WaitTimeoutError
		failErr  *salesunit.CreationFailedError
		keyErr   *keys.KeyError
	)
	return errors.As(err, &apiErr) || errors.As(err, &valErr) || errors.As(err, &unsupErr) ||
		errors.As(err, &waitErr) || errors.As(err, &failErr) || errors.As(err, &keyErr)
}

func (w *worker) init() {
	if w.creations != nil {
		return
	}
	w.creations, w.invited, w.removed, w.removeUnsure = map[string]string{}, map[string]string{}, map[string]bool{}, map[string]bool{}
	w.prefilled, w.deleted, w.regens, w.sent = map[string]string{}, map[string]bool{}, map[string]*regen{}, map[string]bool{}
	w.regenFailed = map[string]bool{}
}

var myBID = vipps.BusinessIdentifier{Scheme: portaltest.DefaultMerchantScheme, ID: portaltest.DefaultMerchantID}

var keyNames = []keys.Name{keys.ClientID, keys.ClientSecret, keys.SubscriptionKeyPrimary, keys.SubscriptionKeySecondary}

// step does one operation, chosen at random among every operation of the SDK.
func (w *worker) step(ctx context.Context, n int64) {
	w.init()
	a, p := w.admin, w.partner
	own := w.ownUnit() // nil until the worker has a ready unit of its own
	switch k := w.rng.IntN(100); {
	case k < 6: // order a test unit
		name := fmt.Sprintf("Soak %d", w.seq.Add(1))
		w.sent[name] = true
		var c *salesunit.Creation
		if w.call(ctx, "TestUnits.Create", func(ctx context.Context) (err error) {
			c, err = a.TestUnits.Create(ctx, salesunit.TestUnitRequest{Name: name,
				Options: salesunit.TestUnitOptions{SkipLandingPage: w.rng.IntN(2) == 0, DirectCapture: w.rng.IntN(2) == 0}})
			return err
		}) {
			w.creations[c.CreationID] = name
			w.pending = append(w.pending, c.CreationID)
		}
	case k < 12 && len(w.pending) > 0: // wait for one
		id := w.pending[0]
		var u *salesunit.TestUnit
		if w.call(ctx, "TestUnits.WaitUntilReady", func(ctx context.Context) (err error) {
			u, err = a.TestUnits.WaitUntilReady(ctx, id, &salesunit.WaitOptions{MinDelay: 2 * time.Millisecond,
				MaxDelay: 20 * time.Millisecond, Timeout: w.cfg.CallTimeout - 200*time.Millisecond, WaitForKeys: true})
			return err
		}) {
			w.pending = w.pending[1:]
			w.units = append(w.units, &ownedUnit{msn: u.MSN})
			w.readyMSNs = append(w.readyMSNs, u.MSN)
		}
	case k < 16:
		w.call(ctx, "TestUnits.List", func(ctx context.Context) error {
			_, err := a.TestUnits.List(ctx, &vipps.ListOptions{PageSize: 20})
			return err
		})
	case k < 18:
		w.call(ctx, "TestUnits.All", func(ctx context.Context) error {
			seen := 0
			for _, err := range a.TestUnits.All(ctx, &vipps.ListOptions{PageSize: 50}) {
				if err != nil {
					return err
				}
				if seen++; seen >= 150 {
					break
				}
			}
			return nil
		})
	case k < 21:
		msn := portaltest.TestMSN
		if own != nil {
			msn = own.msn
		}
		w.call(ctx, "TestUnits.Get", func(ctx context.Context) error { _, err := a.TestUnits.Get(ctx, msn); return err })
	case k < 23:
		w.call(ctx, "TestUnits.Creations", func(ctx context.Context) error {
			_, err := a.TestUnits.Creations(ctx, &salesunit.CreationListOptions{ListOptions: vipps.ListOptions{PageSize: 20}})
			return err
		})
	case k < 30: // read keys
		u := own
		msn := portaltest.TestMSN
		if u != nil {
			msn = u.msn
		}
		var set *keys.Set
		if w.call(ctx, "Keys.Get", func(ctx context.Context) (err error) { set, err = a.Keys.Get(ctx, msn); return err }) {
			w.saw(set)
			if u != nil {
				u.set = set
			}
		}
	case k < 35 && own != nil: // regenerate a key of an own unit
		u := own
		name := keyNames[w.rng.IntN(len(keyNames))]
		key := u.msn + "/" + string(name)
		var set *keys.Set
		if w.call(ctx, "Keys.Regenerate", func(ctx context.Context) (err error) { set, err = a.Keys.Regenerate(ctx, u.msn, name); return err }) {
			u.set = set
			w.saw(set)
			v := set.Reveal()
			value := map[keys.Name]string{keys.ClientID: v.ClientID, keys.ClientSecret: v.ClientSecret,
				keys.SubscriptionKeyPrimary: v.SubscriptionKeyPrimary, keys.SubscriptionKeySecondary: v.SubscriptionKeySecondary}[name]
			w.regens[key] = &regen{value: value, failedBefore: w.regenFailed[key]}
		} else {
			u.set = nil
			w.regenFailed[key] = true
			if r := w.regens[key]; r != nil {
				r.failedAfter = true
			}
		}
	case k < 39 && own != nil && own.set != nil: // verify an own unit's last known set
		u := own
		w.call(ctx, "Keys.Verify", func(ctx context.Context) error { _, err := a.Keys.Verify(ctx, *u.set); return err })
	case k < 44: // invite
		phone := fmt.Sprintf("+474%07d", w.seq.Add(1))
		var usr *users.User
		if w.call(ctx, "Users.Invite", func(ctx context.Context) (err error) {
			usr, err = a.Users.Invite(ctx, users.InviteRequest{PhoneNumber: phone, Name: "Soak user " + phone[4:], Role: users.RoleSalesUnitManager})
			return err
		}) {
			w.invited[usr.UserID] = phone
			w.users = append(w.users, &ownedUser{id: usr.UserID, phone: phone, grants: map[string][]string{}})
		}
	case k < 50 && len(w.users) > 0: // grant
		u := w.users[w.rng.IntN(len(w.users))]
		msn := w.someUnit()
		perms := []users.Permission{users.PermissionDeveloper}
		if w.rng.IntN(2) == 0 {
			perms = append(perms, users.PermissionTransactionManagement)
		}
		if w.call(ctx, "Users.Grant", func(ctx context.Context) error { _, err := a.Users.Grant(ctx, u.id, msn, perms...); return err }) {
			ps := make([]string, len(perms))
			for i, p := range perms {
				ps[i] = string(p)
			}
			slices.Sort(ps)
			u.grants[msn] = ps
		} else {
			u.unsure = true
		}
	case k < 54 && len(w.users) > 0: // revoke
		u := w.users[w.rng.IntN(len(w.users))]
		msn := w.someUnit()
		if w.call(ctx, "Users.Revoke", func(ctx context.Context) error { return a.Users.Revoke(ctx, u.id, msn) }) {
			delete(u.grants, msn)
		} else {
			u.unsure = true
		}
	case k < 57 && len(w.users) > 0: // remove
		i := w.rng.IntN(len(w.users))
		u := w.users[i]
		if w.call(ctx, "Users.Remove", func(ctx context.Context) error { return a.Users.Remove(ctx, u.id) }) {
			w.removed[u.id] = true
		} else {
			w.removeUnsure[u.id] = true
		}
		w.users = slices.Delete(w.users, i, i+1)
	case k < 62:
		w.call(ctx, "Users.Me", func(ctx context.Context) error { _, err := a.Users.Me(ctx); return err })
	case k < 64:
		w.call(ctx, "Users.List", func(ctx context.Context) error {
			_, err := a.Users.List(ctx, &vipps.ListOptions{PageSize: 20})
			return err
		})
	case k < 66 && len(w.users) > 0:
		u := w.users[w.rng.IntN(len(w.users))]
		w.call(ctx, "Users.Get", func(ctx context.Context) error { _, err := a.Users.Get(ctx, u.id); return err })
	case k < 72:
		msn := portaltest.ProductionMSN
		if w.rng.IntN(2) == 0 {
			msn = portaltest.SecondProductionMSN
		}
		w.call(ctx, "SalesUnits.Get", func(ctx context.Context) error { _, err := a.SalesUnits.Get(ctx, msn); return err })
	case k < 75:
		w.call(ctx, "SalesUnits.List", func(ctx context.Context) error { _, err := a.SalesUnits.List(ctx); return err })
	case k < 78:
		w.call(ctx, "Merchants.Get", func(ctx context.Context) error { _, err := a.Merchants.Get(ctx, myBID); return err })
	case k < 80:
		w.call(ctx, "Merchants.SalesUnits", func(ctx context.Context) error { _, err := a.Merchants.SalesUnits(ctx, myBID); return err })
	case k < 86: // prefill a product order for a new merchant
		bid := fmt.Sprintf("8%08d", w.seq.Add(1))
		w.sent[bid] = true
		var o *salesunit.PrefilledOrder
		if w.call(ctx, "ProductOrders.Prefill", func(ctx context.Context) (err error) {
			o, err = p.ProductOrders.Prefill(ctx, salesunit.ProductOrderRequest{
				BusinessIdentifier: vipps.BusinessIdentifier{Scheme: "business:NO:ORG", ID: bid},
				ProductType:        salesunit.ProductPaymentIntegration, PricePackageID: portaltest.PricePackageID,
				SalesUnitName: "Soak " + bid})
			return err
		}) {
			w.prefilled[o.ProductOrderID] = bid
			w.orders = append(w.orders, o.ProductOrderID)
		}
	case k < 89 && len(w.orders) > 0:
		id := w.orders[w.rng.IntN(len(w.orders))]
		w.call(ctx, "ProductOrders.Get", func(ctx context.Context) error { _, err := p.ProductOrders.Get(ctx, id); return err })
	case k < 91:
		w.call(ctx, "ProductOrders.List", func(ctx context.Context) error { _, err := p.ProductOrders.List(ctx); return err })
	case k < 94 && len(w.orders) > 0:
		i := w.rng.IntN(len(w.orders))
		id := w.orders[i]
		w.call(ctx, "ProductOrders.Delete", func(ctx context.Context) error { return p.ProductOrders.Delete(ctx, id) })
		w.deleted[id] = true // gone, or maybe gone
		w.orders = slices.Delete(w.orders, i, i+1)
	case k < 97:
		w.call(ctx, "ProductOrders.PricePackages", func(ctx context.Context) error { _, err := p.ProductOrders.PricePackages(ctx); return err })
	default: // every other case whose precondition did not hold lands on a read
		w.call(ctx, "Keys.Get", func(ctx context.Context) error { _, err := a.Keys.Get(ctx, portaltest.TestMSN); return err })
	}
}

// ownUnit is a unit this worker created (so no other worker changes its keys), or nil.
func (w *worker) ownUnit() *ownedUnit {
	if len(w.units) == 0 {
		return nil
	}
	return w.units[len(w.units)-1-w.rng.IntN(min(3, len(w.units)))]
}

// someUnit is a unit of the merchant to grant on or read: an own test unit or a seeded one.
func (w *worker) someUnit() string {
	if len(w.units) > 0 && w.rng.IntN(3) > 0 {
		return w.units[w.rng.IntN(len(w.units))].msn
	}
	return []string{portaltest.TestMSN, portaltest.ProductionMSN, portaltest.SecondProductionMSN}[w.rng.IntN(3)]
}

// saw notes the secret values of a key set the worker was given.
func (w *worker) saw(set *keys.Set) {
	v := set.Reveal()
	w.seen = append(w.seen, v.ClientSecret, v.SubscriptionKeyPrimary, v.SubscriptionKeySecondary)
}
