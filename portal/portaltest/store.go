package portaltest

import (
	"slices"
	"time"

	"github.com/vippsportal/sdk/vipps"
)

// The in-memory model. Every field is guarded by Server.mu.

type bizID struct{ scheme, id string }

func (b bizID) json() businessIdentifierJSON {
	return businessIdentifierJSON{Scheme: b.scheme, ID: b.id}
}

type merchant struct {
	biz                  bizID
	name, country        string
	status               string
	createdAt, updatedAt time.Time
}

type keySet struct {
	clientID, clientSecret, subPrimary, subSecondary string
	updatedAt                                        time.Time
}

type apiClient struct{ clientID, clientSecret, subKey string }

// credentials are the API client's keys as the SDK takes them (standard flow).
func (c apiClient) credentials() vipps.Credentials {
	return vipps.Credentials{ClientID: c.clientID, ClientSecret: vipps.Secret(c.clientSecret), SubscriptionKey: vipps.Secret(c.subKey)}
}

// managementCredentials are a partner's management keys as the SDK takes
// them: the specialized flow, no subscription key.
func (c apiClient) managementCredentials() vipps.Credentials {
	return vipps.Credentials{ClientID: c.clientID, ClientSecret: vipps.Secret(c.clientSecret), Flow: vipps.SpecializedAuth}
}

// clone is a deep copy of c: a unit's configuration is never shared with
// a seed or a snapshot.
func (c SeedConfiguration) clone() SeedConfiguration {
	for _, b := range []**bool{&c.PaymentAllowed, &c.SkipLandingPageAllowed, &c.RecurringAllowed, &c.PartialCaptureAllowed,
		&c.LateCaptureAllowed, &c.LandingPagePhoneNumberLocked, &c.LongLivingPaymentAllowed, &c.CreditCardPaymentAllowed} {
		if *b != nil {
			v := **b
			*b = &v
		}
	}
	return c
}

// testOptions are the portal form's three options.
type testOptions struct {
	SkipLandingPage bool `json:"skipLandingPage"`
	Recurring       bool `json:"recurring"`
	DirectCapture   bool `json:"directCapture"`
}

// configFromOptions is the contract's options -> configuration mapping.
func configFromOptions(o testOptions) SeedConfiguration {
	capture := "ReserveCapture"
	if o.DirectCapture {
		capture = "DirectCapture"
	}
	return SeedConfiguration{PaymentAllowed: bp(true), CaptureType: capture, SkipLandingPageAllowed: bp(o.SkipLandingPage), RecurringAllowed: bp(o.Recurring)}
}

type unit struct {
	msn, name   string
	env         string // "production" or "test"
	merchant    bizID
	inactive    bool
	config      SeedConfiguration // also its wire form: CaptureType "" is absent
	options     testOptions       // test units
	partner     string            // test units: free text
	createdAt   time.Time
	completedAt time.Time
	keys        keySet
	keysReady   bool
	keysReadyAt time.Time // zero: only IssueKeys makes them ready
}

func (u *unit) isTest() bool { return u.env == "test" }

type grant struct {
	perms     []string // canonical order
	grantedAt time.Time
}

type user struct {
	id                       string
	merchant                 bizID
	name, phone, email, role string
	status                   string
	createdAt                time.Time
	grants                   map[string]*grant
	client                   apiClient
}

func (u *user) isAdmin() bool { return u.role == "ADMINISTRATOR" }

func (u *user) has(msn, perm string) bool {
	g := u.grants[msn]
	return g != nil && slices.Contains(g.perms, perm)
}

type partner struct {
	id, name  string
	client    apiClient
	mgmt      apiClient // management keys (specialized flow): no subscription key
	connected map[string]bool
	packages  []SeedPricePackage // also their wire form
}

type creation struct {
	id          string
	merchant    bizID
	creator     string // user id
	req         testUnitRequestJSON
	status      string
	msn         string
	createdAt   time.Time
	completedAt time.Time
	dueAt       time.Time // zero: only on demand
	failDetail  string    // non-empty: ends FAILED
	failure     *problemJSON
}

type order struct {
	id          string
	partner     string
	biz         bizID
	productType string
	unitName    string
	status      string
	createdAt   time.Time
	changedAt   time.Time
	msn         string
	url         string
}

type principalKind int

const (
	kindUnit principalKind = iota + 1
	kindUser
	kindPartner
	kindManagement // a partner's management keys; id is the partner id
)

type principal struct {
	kind principalKind
	id   string // msn, user id or partner id
}

func (p principal) String() string {
	return [...]string{"", "unit:", "user:", "partner:", "management:"}[p.kind] + p.id
}

// partnerSide reports whether the principal acts for a partner (its API
// client or its management keys): both reach the same Management resources.
func (p principal) partnerSide() bool { return p.kind == kindPartner || p.kind == kindManagement }

type token struct {
	who       principal
	expiresAt time.Time
}

// store is the whole simulated system.
type store struct {
	merchants    map[bizID]*merchant
	units        map[string]*unit
	users        map[string]*user
	partners     map[string]*partner
	creations    map[string]*creation
	orders       map[string]*order
	tokens       map[string]*token
	usedMSNs     map[string]bool
	usedUserIDs  map[string]bool
	issuedTokens int
	failNext     []string // details for the next creations to fail
	idem         map[idemScope]*idemEntry
	webhooks     map[string]*webhook

	// When tokens and stored answers stop mattering: forgetExpired drops
	// them then, so memory follows what is live, not the requests served.
	tokenExpiry deadlines[string]
	idemExpiry  deadlines[idemScope]
}

func newStore() *store {
	return &store{
		merchants: map[bizID]*merchant{}, units: map[string]*unit{}, users: map[string]*user{},
		partners: map[string]*partner{}, creations: map[string]*creation{}, orders: map[string]*order{},
		tokens: map[string]*token{}, usedMSNs: map[string]bool{}, usedUserIDs: map[string]bool{},
		idem: map[idemScope]*idemEntry{}, webhooks: map[string]*webhook{},
	}
}

// forgetExpired drops the tokens that have expired and the stored answers
// older than the contract's 24 hours by now. Neither can be told from one
// that was never there: an unknown or expired token is the same 401
// invalid-token (a specialized one is known by its form, see
// isSpecializedToken), and an idempotency key past its retention is unused.
func (st *store) forgetExpired(now time.Time) {
	st.tokenExpiry.expire(now, func(tok string, at time.Time) {
		if t := st.tokens[tok]; t != nil && t.expiresAt.Equal(at) {
			delete(st.tokens, tok)
		}
	})
	st.idemExpiry.expire(now, func(k idemScope, at time.Time) {
		if e := st.idem[k]; e != nil && e.storedAt.Add(idemRetention).Equal(at) {
			delete(st.idem, k)
		}
	})
}

// liveSubscriptionKey reports whether any principal currently holds k (a new
// test unit's keys count once they are issued).
func (st *store) liveSubscriptionKey(k string) bool {
	return k != "" && st.holdsSubKey(k, false)
}

// heldKeys is one set of client credentials the store holds and whose they
// are: a unit's keys, a user's or partner's API client, or a partner's
// management keys (kindManagement: no subscription key).
type heldKeys struct {
	who                   principal
	clientID, secret      string
	subPrimary, subSecond string
	issued                bool // false for a new test unit's keys until they are issued
}

// everyKeySet yields every set of client credentials the store holds.
func (st *store) everyKeySet(yield func(heldKeys) bool) {
	for _, u := range st.units {
		if !yield(heldKeys{principal{kindUnit, u.msn}, u.keys.clientID, u.keys.clientSecret, u.keys.subPrimary, u.keys.subSecondary, u.keysReady}) {
			return
		}
	}
	for _, u := range st.users {
		if !yield(heldKeys{principal{kindUser, u.id}, u.client.clientID, u.client.clientSecret, u.client.subKey, "", true}) {
			return
		}
	}
	for _, p := range st.partners {
		if !yield(heldKeys{principal{kindPartner, p.id}, p.client.clientID, p.client.clientSecret, p.client.subKey, "", true}) ||
			!yield(heldKeys{principal{kindManagement, p.id}, p.mgmt.clientID, p.mgmt.clientSecret, "", "", true}) {
			return
		}
	}
}

// holdsSubKey reports whether a unit, user or partner holds k; unissued keys
// of new test units count only with includeUnissued.
func (st *store) holdsSubKey(k string, includeUnissued bool) bool {
	for h := range st.everyKeySet {
		if (h.issued || includeUnissued) && (h.subPrimary == k || h.subSecond == k) {
			return true
		}
	}
	return false
}

// principalFor finds whose current client credentials (not management
// keys) these are.
func (st *store) principalFor(id, secret string) (principal, bool) {
	for h := range st.everyKeySet {
		if h.issued && h.who.kind != kindManagement && h.clientID == id && h.secret == secret {
			return h.who, true
		}
	}
	return principal{}, false
}

// managementFor finds the partner whose management keys these are.
func (st *store) managementFor(id, secret string) (principal, bool) {
	for h := range st.everyKeySet {
		if h.who.kind == kindManagement && h.clientID != "" && h.clientID == id && h.secret == secret {
			return h.who, true
		}
	}
	return principal{}, false
}

// exists reports whether the principal is still there (a removed user is not).
func (st *store) exists(p principal) bool {
	switch p.kind {
	case kindUnit:
		return st.units[p.msn()] != nil
	case kindUser:
		return st.users[p.id] != nil
	case kindPartner, kindManagement:
		return st.partners[p.id] != nil
	}
	return false
}

func (p principal) msn() string { return p.id }

// merchantOf is the principal's merchant (false for a partner).
func (st *store) merchantOf(p principal) (bizID, bool) {
	switch p.kind {
	case kindUnit:
		return st.units[p.id].merchant, true
	case kindUser:
		return st.users[p.id].merchant, true
	}
	return bizID{}, false
}

// unitOf returns merchant m's unit msn if it exists (test units only once completed).
func (st *store) unitOf(m bizID, msn string) *unit {
	u := st.units[msn]
	if u == nil || u.merchant != m {
		return nil
	}
	return u
}

func (st *store) newMSN(r *rng) string {
	for {
		m := r.digits(6)
		if m[0] == '0' {
			continue
		}
		if !st.usedMSNs[m] {
			st.usedMSNs[m] = true
			return m
		}
	}
}

func (st *store) clientIDTaken(id string) bool {
	for h := range st.everyKeySet {
		if h.clientID == id {
			return true
		}
	}
	return false
}

// Generators of unique key values.
func (st *store) genClientID(r *rng) string {
	for {
		if id := r.uuid(); !st.clientIDTaken(id) {
			return id
		}
	}
}

func (st *store) genSubKey(r *rng) string {
	for {
		if k := r.hex(32); !st.holdsSubKey(k, true) {
			return k
		}
	}
}

func (st *store) genKeySet(r *rng, now time.Time) keySet {
	ks := keySet{clientID: st.genClientID(r), clientSecret: r.secret(), updatedAt: now}
	ks.subPrimary = st.genSubKey(r)
	ks.subSecondary = st.genSubKey(r)
	for ks.subSecondary == ks.subPrimary {
		ks.subSecondary = st.genSubKey(r)
	}
	return ks
}

func (st *store) genAPIClient(r *rng) apiClient {
	return apiClient{clientID: st.genClientID(r), clientSecret: r.secret(), subKey: st.genSubKey(r)}
}

// filter returns the records of all that keep accepts, in no order.
func filter[T any](all map[string]*T, keep func(*T) bool) []*T {
	var out []*T
	for _, v := range all {
		if keep(v) {
			out = append(out, v)
		}
	}
	return out
}

// activeAdmins counts a merchant's ACTIVE ADMINISTRATORs.
func (st *store) activeAdmins(m bizID) int {
	n := 0
	for _, u := range st.users {
		if u.merchant == m && u.isAdmin() && u.status == "ACTIVE" {
			n++
		}
	}
	return n
}
