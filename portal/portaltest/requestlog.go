package portaltest

import (
	"net/http"
	"time"
)

// LoggedRequest is one request the simulator received, as [Server.Requests]
// and [Server.RequestsOf] return it and [WithRequestHook] sees it.
type LoggedRequest struct {
	Operation      string      // an Op* constant, "" when no operation matched
	RequestID      string      // the X-Request-Id the answer carried (or would have: see Status)
	Method, Path   string      // the request line, without the query
	RawQuery       string      // the query as sent, without '?'
	Header         http.Header // copy; secret values replaced by "REDACTED"
	IdempotencyKey string      // the Idempotency-Key header; "" when none was sent
	Status         int         // 0 when no answer was written (dropped connection)
	Replayed       bool        // the answer was the one stored for the Idempotency-Key, the work not done again
	Fault          string      // "" or a short description of the fault injected
	Time           time.Time   // server clock
}

var secretHeaders = []string{"Authorization", "Ocp-Apim-Subscription-Key", "Client_secret"}

func redact(h http.Header) http.Header {
	out := h.Clone()
	if out == nil {
		out = http.Header{}
	}
	for _, k := range secretHeaders {
		ck := http.CanonicalHeaderKey(k)
		if vs, ok := out[ck]; ok {
			for i := range vs {
				vs[i] = "REDACTED"
			}
		}
	}
	return out
}

// DefaultRequestLogLimit is how many requests the log keeps unless
// WithRequestLogLimit says otherwise.
const DefaultRequestLogLimit = 10000

// record appends to the log, a ring of the newest cfg.logLimit entries, so a
// long-running simulator holds a bounded amount of memory.
func (s *Server) record(e LoggedRequest, resp *response) {
	if resp != nil {
		e.Replayed = resp.replayed
	}
	s.mu.Lock()
	if len(s.log) < s.cfg.logLimit {
		s.log = append(s.log, e)
	} else {
		s.log[s.logStart] = e
		s.logStart = (s.logStart + 1) % len(s.log)
	}
	s.mu.Unlock()
	if s.cfg.onRequest != nil {
		e.Header = e.Header.Clone()
		s.cfg.onRequest(e)
	}
}

// Requests returns a copy of the request log, oldest first: the newest
// requests, as many as the limit (WithRequestLogLimit) keeps.
func (s *Server) Requests() []LoggedRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]LoggedRequest, 0, len(s.log))
	for i := range s.log {
		e := s.log[(s.logStart+i)%len(s.log)]
		e.Header = e.Header.Clone()
		out = append(out, e)
	}
	return out
}

// RequestsOf returns a copy of the logged requests of one operation (an Op*
// constant such as [OpCreateTestSalesUnit]), oldest first; "" selects the
// requests no operation matched. It panics on an id the contract does not
// have, listing the valid ones: a filter that could never match would let a
// test pass for nothing.
func (s *Server) RequestsOf(operation string) []LoggedRequest {
	if operation != "" {
		mustOperation(operation)
	}
	var out []LoggedRequest
	for _, e := range s.Requests() {
		if e.Operation == operation {
			out = append(out, e)
		}
	}
	return out
}

// ResetRequests empties the request log.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log, s.logStart = nil, 0
}

// Effects counts the work actually done by an operation (an Op* constant):
// answers of 2xx that were not replays. It panics on an id the contract does
// not have, listing the valid ones: a count that could never move would let a
// test pass for nothing.
func (s *Server) Effects(operation string) int {
	mustOperation(operation)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.effects[operation]
}
