package portaltest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Server is a running simulator. URL is its root, "http://" and the address
// it listens on ("http://127.0.0.1:PORT" for [NewServer]): give it to
// [github.com/vippsportal/sdk/portal.WithBaseURL] and
// [github.com/vippsportal/sdk/portal.WithPortalURL], or use [Server.Client].
// Close it when done.
type Server struct {
	URL string

	cfg      config
	srv      *http.Server
	ln       net.Listener
	closeOne sync.Once
	done     chan struct{}
	inflight sync.WaitGroup // handlers still running: Close waits for them

	mu             sync.Mutex
	st             *store
	rng            *rng
	pageKey        []byte
	resolved       Seed
	faults         []*faultEntry
	faultsInjected int
	log            []LoggedRequest // a ring once full; logStart is the oldest
	logStart       int
	effects        map[string]int

	requestIDPrefix string        // random per server (fixed by WithRandSeed)
	requestSeq      atomic.Uint64 // numbers the requests: ids are unique per server

	deliveries    deliverer  // webhook notifications on their way
	deliveryLog   []Delivery // a ring once full; deliveryStart is the oldest
	deliveryStart int
}

// NewServer starts a simulator on a loopback port. It panics on a bad option
// or seed, like httptest.NewServer.
func NewServer(opts ...Option) *Server {
	s, err := Start("127.0.0.1:0", opts...)
	if err != nil {
		panic("portaltest: " + err.Error())
	}
	return s
}

// Start starts a simulator listening on addr ("127.0.0.1:8080", ":0"). A bad
// option or seed, or an address it cannot listen on, is an error.
func Start(addr string, opts ...Option) (*Server, error) {
	s, err := newServer(opts...)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s.startDeliveries()
	s.ln = ln
	s.URL = "http://" + ln.Addr().String()
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

func newServer(opts ...Option) (*Server, error) {
	cfg := config{now: time.Now}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.now == nil {
		cfg.now = time.Now
	}
	if !cfg.seedSet {
		cfg.seed = DefaultSeed()
	}
	for _, d := range []struct {
		option string
		d      time.Duration
	}{{"WithProvisioningDelay", cfg.provisioningDelay}, {"WithKeysDelay", cfg.keysDelay}, {"WithOrderStep", cfg.orderStep}} {
		if d.d < 0 {
			return nil, fmt.Errorf("%s(%s): the delay must not be negative", d.option, d.d)
		}
	}
	switch {
	case cfg.logLimit < 0:
		return nil, fmt.Errorf("WithRequestLogLimit(%d): the limit must not be negative (0 takes the default, %d)", cfg.logLimit, DefaultRequestLogLimit)
	case cfg.logLimit == 0:
		cfg.logLimit = DefaultRequestLogLimit
	}
	seed := cfg.seed
	if err := seed.validate(); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	s := &Server{cfg: cfg, st: newStore(), rng: newRNG(cfg.randSeed, cfg.randSeeded),
		effects: map[string]int{}, done: make(chan struct{})}
	s.pageKey = make([]byte, 32)
	if cfg.randSeeded {
		copy(s.pageKey, s.rng.bytes(32))
	} else {
		_, _ = rand.Read(s.pageKey)
	}
	s.resolved = s.st.load(seed, s.rng, cfg.now().UTC())
	s.requestIDPrefix = s.rng.hex(16)
	return s, nil
}

// Close shuts the server down, closing open connections, and stops
// delivering webhook notifications (an attempt in flight is cut off).
func (s *Server) Close() {
	s.closeOne.Do(func() {
		if s.srv != nil {
			_ = s.srv.Close()
			<-s.done
			// http.Server.Close does not wait for handlers (a delayed one ends
			// when its connection's context does): wait, so none outlives Close.
			s.inflight.Wait()
		}
		s.stopDeliveries()
	})
}

// Shutdown stops the server gracefully (for examples/simulator), as
// http.Server.Shutdown does: it stops
// taking requests, waits for those in flight (or ctx), then stops delivering
// webhook notifications.
func (s *Server) Shutdown(ctx context.Context) error {
	var err error
	if s.srv != nil {
		err = s.srv.Shutdown(ctx)
	}
	s.stopDeliveries()
	return err
}

// Handler returns the whole contract as one http.Handler.
func (s *Server) Handler() http.Handler { return s }

// ResolvedSeed is the seed the server started from, with generated keys and
// load times filled in.
func (s *Server) ResolvedSeed() Seed { return s.resolved }

func (s *Server) now() time.Time { return s.cfg.now().UTC() }

// request carries one request through the checks.
type request struct {
	r       *http.Request
	op      string
	params  map[string]string
	body    []byte
	tooBig  bool
	now     time.Time
	who     principal
	idemKey string
	// idemScope narrows the idempotency scope beyond the principal: the
	// webhook scope a partner acts in.
	idemScope string
}

func (rq *request) path() string { return rq.r.URL.Path }

// fail renders a refusal.
func (rq *request) fail(e *apiError) *response {
	resp := problemResponse(e, rq.path())
	resp.problem = e.name
	return resp
}

// requestIDHeader names the id every answer carries (the SDK reads it into
// vipps.Response.RequestID), for a support case or a log line.
const requestIDHeader = "X-Request-Id"

// newRequestID returns an id unique among this server's requests.
func (s *Server) newRequestID() string {
	return fmt.Sprintf("%s-%012x", s.requestIDPrefix, s.requestSeq.Add(1))
}

// ServeHTTP serves the contract. Every answer, errors included, carries a
// fresh X-Request-Id that the request log records (a replay gets its own).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.inflight.Add(1)
	defer s.inflight.Done()
	id := s.newRequestID()
	w.Header().Set(requestIDHeader, id)
	entry := LoggedRequest{RequestID: id, Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
		Header: redact(r.Header), IdempotencyKey: r.Header.Get("Idempotency-Key")}
	// answer logs the request and writes resp; a nil resp writes nothing.
	answer := func(resp *response) {
		if entry.Time.IsZero() {
			s.mu.Lock()
			entry.Time = s.now()
			s.mu.Unlock()
		}
		if resp != nil {
			entry.Status = resp.status
		}
		s.record(entry, resp)
		if resp != nil {
			resp.write(w)
		}
	}
	if s.cfg.notifyEndpoint && r.URL.Path == NotifyPath {
		answer(s.serveNotify(r))
		return
	}
	rt, params, e := match(r.Method, r.URL.Path)
	rq := &request{r: r, params: params}
	if rt != nil {
		rq.op = rt.op
		entry.Operation = rt.op
	}
	if e != nil {
		answer(rq.fail(e))
		return
	}
	f, desc := s.pickFault(rt.op)
	entry.Fault = desc
	if f != nil && f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			answer(nil)
			return
		}
	}
	if f != nil && f.Status != 0 {
		s.mu.Lock()
		entry.Time = s.now()
		s.mu.Unlock()
		answer(faultResponse(f, rq.path(), entry.Time))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		answer(nil)
		return
	}
	rq.body = body
	rq.tooBig = len(body) > maxBody

	resp := s.locked(rt, rq)
	entry.Time = rq.now
	if f != nil && f.DropAfterWork {
		answer(nil)
		drop(w)
		return
	}
	answer(resp)
}

// locked does the request's checks and work under the store lock.
func (s *Server) locked(rt *route, rq *request) *response {
	rq.now = s.lockAndAdvance()
	defer s.mu.Unlock()
	s.st.forgetExpired(rq.now)
	resp := s.serve(rt, rq)
	if resp.status/100 == 2 && !resp.replayed {
		s.effects[rt.op]++
	}
	return resp
}

// drop closes the connection without an answer.
func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// serve runs the checks in the contract's order; s.mu is held.
func (s *Server) serve(rt *route, rq *request) *response {
	switch rt.op {
	case OpFetchAuthorizationTokenUsingPost:
		return s.getAccessToken(rq)
	case OpFetchToken:
		return s.fetchToken(rq)
	}
	// A specialized token passes no gateway: a subscription key sent along is ignored.
	if !s.specializedBearer(rq) {
		if e := s.gateway(rq); e != nil {
			return e
		}
	}
	if e := s.authenticate(rq); e != nil {
		return rq.fail(e)
	}
	if e := checkHeaders(rq.r.Header); e != nil {
		return rq.fail(e)
	}
	return rt.h(s, rq)
}

var systemHeaders = []string{"Vipps-System-Name", "Vipps-System-Version", "Vipps-System-Plugin-Name", "Vipps-System-Plugin-Version"}

// checkHeaders applies the conventions for optional headers on every operation.
func checkHeaders(h http.Header) *apiError {
	for _, name := range systemHeaders {
		for _, v := range h.Values(name) {
			if utf8.RuneCountInString(v) > 30 {
				return badRequest(name, name+" must be at most 30 characters")
			}
		}
	}
	if vs := h.Values("Merchant-Serial-Number"); len(vs) > 0 {
		for _, v := range vs {
			if !reMSN.MatchString(v) {
				return badRequest("Merchant-Serial-Number", `Merchant-Serial-Number must match ^\d{4,10}$`)
			}
		}
	}
	return nil
}

// decodeBody applies the size limit and decodes the body strictly into v.
func (rq *request) decodeBody(v any) *apiError {
	if rq.tooBig {
		return newProblem(http.StatusRequestEntityTooLarge, pBodyTooLarge, "the request body is over 1 MiB")
	}
	if err := decodeStrict(rq.body, v, false); err != nil {
		var fe *fieldError
		if errors.As(err, &fe) {
			if fe.Path == "" {
				return badRequest("", "request body: "+fe.Msg)
			}
			return badRequest(fe.Path, "request body: "+fe.Error())
		}
		return badRequest("", err.Error())
	}
	return nil
}

// bodyLimit refuses an oversize body on operations without a request body.
func (rq *request) bodyLimit() *apiError {
	if rq.tooBig {
		return newProblem(http.StatusRequestEntityTooLarge, pBodyTooLarge, "the request body is over 1 MiB")
	}
	return nil
}

// idempotencyKey checks the required Idempotency-Key header.
func (rq *request) idempotencyKey() *apiError {
	k := rq.r.Header.Get("Idempotency-Key")
	if k == "" {
		return badRequest("Idempotency-Key", "Idempotency-Key is required")
	}
	if !reIdemKey.MatchString(k) {
		return badRequest("Idempotency-Key", "Idempotency-Key must match ^[a-zA-Z0-9-]{1,50}$")
	}
	rq.idemKey = k
	return nil
}

func (rq *request) pathMSN() *apiError {
	if !reMSN.MatchString(rq.params["msn"]) {
		return badRequest("msn", `msn must match ^\d{4,10}$`)
	}
	return nil
}

func (rq *request) pathUUID(name string) *apiError {
	if !reUUID.MatchString(rq.params[name]) {
		return badRequest(name, name+" must be a UUID")
	}
	return nil
}

func (rq *request) pathUserID() *apiError {
	if n := utf8.RuneCountInString(rq.params["userId"]); n < 1 || n > 64 || !utf8.ValidString(rq.params["userId"]) {
		return badRequest("userId", "userId must be 1-64 characters")
	}
	return nil
}

// route is one operation of the contract.
type route struct {
	method string
	segs   []string // "{x}" is a parameter
	op     string
	h      func(*Server, *request) *response
}

var routes []*route

func init() {
	add := func(method, pattern, op string, h func(*Server, *request) *response) {
		routes = append(routes, &route{method: method, segs: strings.Split(strings.Trim(pattern, "/"), "/"), op: op, h: h})
	}
	add("POST", "/accesstoken/get", OpFetchAuthorizationTokenUsingPost, nil)
	add("POST", "/miami/v1/token", OpFetchToken, nil)
	add("GET", "/management/v1/sales-units", OpGetAllSalesUnits, (*Server).listSalesUnits)
	add("GET", "/management/v1/sales-units/{msn}", OpGetMsn, (*Server).getSalesUnit)
	add("GET", "/management/v1/merchants/{scheme}/{id}", OpGetMerchantByBusinessIdentifier, (*Server).getMerchant)
	add("GET", "/management/v1/merchants/{scheme}/{id}/sales-units", OpGetSalesUnitsByBusinessIdentifier, (*Server).listMerchantSalesUnits)
	add("GET", "/management/v1/partners/price-packages", OpGetPartnerPricePackages, (*Server).listPricePackages)
	add("POST", "/management/v1/product-orders", OpOrderProduct, (*Server).orderProduct)
	add("DELETE", "/management/v1/product-orders/{productOrderId}", OpDeleteProductOrder, (*Server).deleteProductOrder)
	add("GET", "/management/v2/product-orders", OpGetProductOrders, (*Server).listProductOrders)
	add("GET", "/management/v2/product-orders/{productOrderId}/details", OpGetProductOrderDetails, (*Server).getProductOrder)
	add("GET", "/portal/v1/me", OpGetMe, (*Server).getMe)
	add("GET", "/portal/v1/test-sales-units", OpListTestSalesUnits, (*Server).listTestSalesUnits)
	add("POST", "/portal/v1/test-sales-units", OpCreateTestSalesUnit, (*Server).createTestSalesUnit)
	add("GET", "/portal/v1/test-sales-units/creations", OpListTestSalesUnitCreations, (*Server).listCreations)
	add("GET", "/portal/v1/test-sales-units/creations/{creationId}", OpGetTestSalesUnitCreation, (*Server).getCreation)
	add("GET", "/portal/v1/test-sales-units/{msn}", OpGetTestSalesUnit, (*Server).getTestSalesUnit)
	add("PATCH", "/portal/v1/test-sales-units/{msn}", OpUpdateTestSalesUnit, (*Server).updateTestSalesUnit)
	add("GET", "/portal/v1/sales-units/{msn}/keys", OpGetKeys, (*Server).getKeys)
	add("POST", "/portal/v1/sales-units/{msn}/keys/regenerate", OpRegenerateKey, (*Server).regenerateKey)
	add("GET", "/portal/v1/users", OpListUsers, (*Server).listUsers)
	add("POST", "/portal/v1/users", OpInviteUser, (*Server).inviteUser)
	add("GET", "/portal/v1/users/{userId}", OpGetUser, (*Server).getUser)
	add("DELETE", "/portal/v1/users/{userId}", OpRemoveUser, (*Server).removeUser)
	add("PUT", "/portal/v1/users/{userId}/sales-units/{msn}", OpGrantAccess, (*Server).grantAccess)
	add("DELETE", "/portal/v1/users/{userId}/sales-units/{msn}", OpRevokeAccess, (*Server).revokeAccess)
	add("GET", "/webhooks/v1/webhooks", OpGetAllWebhooks, (*Server).getAllWebhooks)
	add("POST", "/webhooks/v1/webhooks", OpRegisterWebhook, (*Server).registerWebhook)
	add("DELETE", "/webhooks/v1/webhooks/{id}", OpDeleteWebhook, (*Server).deleteWebhook)
}

// match finds the operation for method and path: literal segments win over
// parameters; a path with no operation is a 404, a method the path lacks a 405.
func match(method, path string) (*route, map[string]string, *apiError) {
	if path == "" || path[0] != '/' {
		return nil, nil, newProblem(http.StatusNotFound, pNotFound, "no operation at this path")
	}
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	best, bestScore := (*route)(nil), -1
	pathMatched := false
	for _, rt := range routes {
		if len(rt.segs) != len(segs) {
			continue
		}
		score, ok := 0, true
		for i, s := range rt.segs {
			if strings.HasPrefix(s, "{") {
				if segs[i] == "" {
					ok = false
					break
				}
				continue
			}
			if s != segs[i] {
				ok = false
				break
			}
			score++
		}
		if !ok {
			continue
		}
		pathMatched = true
		if rt.method != method {
			continue
		}
		if score > bestScore {
			best, bestScore = rt, score
		}
	}
	if best == nil {
		if pathMatched {
			return nil, nil, newProblem(http.StatusMethodNotAllowed, pMethodNotAllowed, method+" is not allowed on this path")
		}
		return nil, nil, newProblem(http.StatusNotFound, pNotFound, "no operation at this path")
	}
	params := map[string]string{}
	for i, s := range best.segs {
		if strings.HasPrefix(s, "{") {
			params[strings.Trim(s, "{}")] = segs[i]
		}
	}
	return best, params, nil
}
