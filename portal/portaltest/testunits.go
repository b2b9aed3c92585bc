package portaltest

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// testUnitRequestJSON is TestSalesUnitRequest (additionalProperties: false).
type testUnitRequestJSON struct {
	Name    string       `json:"name" req:"1"`
	Partner *string      `json:"partner,omitempty"`
	Options *testOptions `json:"options,omitempty"`
}

func (testUnitRequestJSON) additionalPropertiesFalse() {}

type creationJSON struct {
	CreationID  string              `json:"creationId"`
	Status      string              `json:"status"`
	Request     testUnitRequestJSON `json:"request"`
	MSN         string              `json:"msn,omitempty"`
	CreatedAt   time.Time           `json:"createdAt"`
	CompletedAt *time.Time          `json:"completedAt,omitempty"`
	Failure     *problemJSON        `json:"failure,omitempty"`
}

type testUnitJSON struct {
	MSN                string                 `json:"msn"`
	Name               string                 `json:"name"`
	BusinessIdentifier businessIdentifierJSON `json:"businessIdentifier"`
	Partner            string                 `json:"partner,omitempty"`
	Options            testOptions            `json:"options"`
	Configuration      SeedConfiguration      `json:"configuration"`
	CreatedAt          time.Time              `json:"createdAt"`
	CompletedAt        time.Time              `json:"completedAt"`
	KeysReady          bool                   `json:"keysReady"`
}

type pageJSON[T any] struct {
	Items         []T    `json:"items"`
	NextPageToken string `json:"nextPageToken,omitempty"`
}

func creationView(c *creation) creationJSON {
	v := creationJSON{CreationID: c.id, Status: c.status, Request: c.req, CreatedAt: c.createdAt, Failure: c.failure}
	if c.status == "COMPLETED" {
		v.MSN = c.msn
		t := c.completedAt
		v.CompletedAt = &t
	}
	return v
}

func testUnitView(u *unit) testUnitJSON {
	return testUnitJSON{MSN: u.msn, Name: u.name, BusinessIdentifier: u.merchant.json(), Partner: u.partner,
		Options: u.options, Configuration: u.config, CreatedAt: u.createdAt, CompletedAt: u.completedAt, KeysReady: u.keysReady}
}

func portalOK(status int, v any) *response { return jsonResponse(status, ctPortal, v) }

// portalUser is the principal check of portal operations (only users), made
// once the request's own checks have passed: the first of them that refused
// is the answer.
func (s *Server) portalUser(rq *request, checks ...*apiError) (*user, *apiError) {
	if e := firstAPI(checks...); e != nil {
		return nil, e
	}
	if rq.who.kind != kindUser {
		return nil, newProblem(http.StatusForbidden, pNotAPortalUser, "the token does not act as a portal user")
	}
	return s.st.users[rq.who.id], nil
}

// callerMerchant is the caller's merchant, for binding page tokens.
func (s *Server) callerMerchant(rq *request) bizID {
	m, _ := s.st.merchantOf(rq.who)
	return m
}

func (s *Server) createTestSalesUnit(rq *request) *response {
	var body testUnitRequestJSON
	if e := rq.decodeBody(&body); e != nil {
		return rq.fail(e)
	}
	fe := checkName("name", body.Name, 50)
	if fe == nil && body.Partner != nil {
		fe = checkLen("partner", *body.Partner, 0, 50)
	}
	if fe != nil {
		return rq.fail(badRequest(fe.Path, "request body: "+fe.Error()))
	}
	u, e := s.portalUser(rq, rq.idempotencyKey())
	if e != nil {
		return rq.fail(e)
	}
	if !u.isAdmin() && !s.developerSomewhere(u) {
		return rq.fail(newProblem(http.StatusForbidden, pForbidden, "creating a test sales unit needs DEVELOPER on a sales unit of the merchant"))
	}
	resp := s.idempotent(rq, func() *response {
		req := body
		if req.Options == nil {
			req.Options = &testOptions{}
		}
		c := &creation{id: s.newCreationID(), merchant: u.merchant, creator: u.id, req: req, status: "PENDING", createdAt: rq.now}
		if !s.cfg.manual {
			c.dueAt = rq.now.Add(s.cfg.provisioningDelay)
		}
		if len(s.st.failNext) > 0 {
			c.failDetail, s.st.failNext = s.st.failNext[0], s.st.failNext[1:]
		}
		s.st.creations[c.id] = c
		resp := portalOK(http.StatusAccepted, creationView(c))
		resp.header.Set("Location", "/portal/v1/test-sales-units/creations/"+c.id)
		return resp
	})
	if resp.status == http.StatusAccepted {
		// A replay too: its estimate is of now, not of when it was stored.
		id := strings.TrimPrefix(resp.header.Get("Location"), "/portal/v1/test-sales-units/creations/")
		resp.header.Set("Retry-After", s.retryAfter(s.st.creations[id], rq.now))
	}
	return resp
}

// manualEstimate is the Retry-After of a creation that only CompleteCreation
// or CompleteAll ends (WithManualProvisioning): no completion time is known,
// so the server says the least the contract allows, 1 second: a client that
// listens to it polls soon and never waits longer than needed once the test
// completes the creation; the client's own bounds still apply.
const manualEstimate = time.Second

// retryAfter is a pending creation's estimate in delta-seconds: the time left
// until it is due on the server clock, rounded up, at least 1. A creation no
// longer pending (a replayed 202) gets the minimum.
func (s *Server) retryAfter(c *creation, now time.Time) string {
	left := manualEstimate
	if c != nil && c.status == "PENDING" && !c.dueAt.IsZero() {
		left = c.dueAt.Sub(now)
	}
	secs := int64((left + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	return strconv.FormatInt(secs, 10)
}

func (s *Server) developerSomewhere(u *user) bool {
	for msn, g := range u.grants {
		if un := s.st.units[msn]; un != nil && un.merchant == u.merchant && slices.Contains(g.perms, "DEVELOPER") {
			return true
		}
	}
	return false
}

func (s *Server) newCreationID() string {
	for {
		if id := s.rng.uuid(); s.st.creations[id] == nil {
			return id
		}
	}
}

// complete ends a PENDING creation at time at.
func (s *Server) complete(c *creation, at time.Time) {
	if c.status != "PENDING" {
		return
	}
	if c.failDetail != "" {
		c.status = "FAILED"
		p := problemValue(pProvisioningFailed, http.StatusInternalServerError, c.failDetail, "/portal/v1/test-sales-units/creations/"+c.id)
		c.failure = &p
		return
	}
	msn := s.st.newMSN(s.rng)
	c.status, c.msn, c.completedAt = "COMPLETED", msn, at
	opts := *c.req.Options
	u := &unit{msn: msn, name: c.req.Name, env: "test", merchant: c.merchant, options: opts, config: configFromOptions(opts),
		createdAt: c.createdAt, completedAt: at, keys: s.st.genKeySet(s.rng, at)}
	if c.req.Partner != nil {
		u.partner = *c.req.Partner
	}
	if !s.cfg.manual {
		u.keysReadyAt = at.Add(s.cfg.keysDelay)
		if s.cfg.keysDelay == 0 {
			u.keysReady = true
		}
	}
	s.st.units[msn] = u
	if creator := s.st.users[c.creator]; creator != nil {
		creator.grants[msn] = &grant{perms: []string{"DEVELOPER"}, grantedAt: at}
	}
}

// lockAndAdvance locks s.mu (the caller unlocks it) and applies everything
// due by now on the server clock, which it returns.
func (s *Server) lockAndAdvance() time.Time {
	s.mu.Lock()
	now := s.now()
	s.advance(now)
	return now
}

// advance applies everything due on the server clock; s.mu is held.
func (s *Server) advance(now time.Time) {
	due := filter(s.st.creations, func(c *creation) bool {
		return c.status == "PENDING" && !c.dueAt.IsZero() && !now.Before(c.dueAt)
	})
	sortBy(due, func(c *creation) sortKey { return sortKey{c.dueAt, c.id} })
	for _, c := range due {
		s.complete(c, c.dueAt)
	}
	for _, u := range s.st.units {
		if !u.keysReady && !u.keysReadyAt.IsZero() && !now.Before(u.keysReadyAt) {
			u.keysReady = true
			u.keys.updatedAt = u.keysReadyAt
		}
	}
	s.advanceOrders(now)
}

func (s *Server) listTestSalesUnits(rq *request) *response {
	p, e := s.listPaging(rq, "")
	u, e := s.portalUser(rq, e)
	if e != nil {
		return rq.fail(e)
	}
	units := filter(s.st.units, func(un *unit) bool { return un.isTest() && un.merchant == u.merchant })
	return pageResponse(s, p, units, func(u *unit) sortKey { return sortKey{u.completedAt, u.msn} }, testUnitView)
}

func (s *Server) listCreations(rq *request) *response {
	status := ""
	var e *apiError
	if vs, ok := rq.r.URL.Query()["status"]; ok {
		status = vs[0]
		if fe := checkEnum("status", status, "PENDING", "COMPLETED", "FAILED"); fe != nil || len(vs) > 1 {
			e = badRequest("status", "status must be one of PENDING, COMPLETED, FAILED")
		}
	}
	var p paging
	if e == nil {
		p, e = s.listPaging(rq, status)
	}
	u, e := s.portalUser(rq, e)
	if e != nil {
		return rq.fail(e)
	}
	cs := filter(s.st.creations, func(c *creation) bool { return c.merchant == u.merchant && (status == "" || c.status == status) })
	return pageResponse(s, p, cs, func(c *creation) sortKey { return sortKey{c.createdAt, c.id} }, creationView)
}

func (s *Server) getCreation(rq *request) *response {
	u, e := s.portalUser(rq, rq.pathUUID("creationId"), rq.bodyLimit())
	if e != nil {
		return rq.fail(e)
	}
	c := s.st.creations[strings.ToLower(rq.params["creationId"])]
	if c == nil || c.merchant != u.merchant {
		return rq.fail(notFound("creation"))
	}
	resp := portalOK(http.StatusOK, creationView(c))
	if c.status == "PENDING" {
		resp.header.Set("Retry-After", s.retryAfter(c, rq.now))
	}
	return resp
}

// testUnitParam finds a test unit of the caller's merchant, once the
// request's checks and the principal check have passed.
func (s *Server) testUnitParam(rq *request, checks ...*apiError) (*unit, *apiError) {
	u, e := s.portalUser(rq, checks...)
	if e != nil {
		return nil, e
	}
	un := s.st.unitOf(u.merchant, rq.params["msn"])
	if un == nil || !un.isTest() {
		return nil, notFound("test sales unit")
	}
	return un, nil
}

func (s *Server) getTestSalesUnit(rq *request) *response {
	un, e := s.testUnitParam(rq, rq.pathMSN(), rq.bodyLimit())
	if e != nil {
		return rq.fail(e)
	}
	return portalOK(http.StatusOK, testUnitView(un))
}

func (s *Server) updateTestSalesUnit(rq *request) *response {
	if _, e := s.testUnitParam(rq, rq.pathMSN(), rq.bodyLimit()); e != nil {
		return rq.fail(e)
	}
	return rq.fail(newProblem(http.StatusMethodNotAllowed, pImmutable, "a test sales unit cannot be changed; create a new one instead"))
}
