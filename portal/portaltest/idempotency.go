package portaltest

import (
	"encoding/json"
	"net/http"
	"reflect"
	"time"
)

// idemRetention is how long a stored answer is kept.
const idemRetention = 24 * time.Hour

type idemScope struct{ who, method, path, key string }

type idemEntry struct {
	body     any // the request body as a JSON value
	resp     *response
	storedAt time.Time
}

func jsonValue(b []byte) any {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return string(b)
	}
	return v
}

// idempotent runs work at most once per key. It is called once every check up
// to the caller's permission on the resource has passed; s.mu is held for the
// whole request, so a concurrent request with the same key waits for this one
// and then replays what it stored, or runs itself if nothing was stored.
func (s *Server) idempotent(rq *request, work func() *response) *response {
	scope := idemScope{who: rq.who.String() + "/" + rq.idemScope, method: rq.r.Method, path: rq.path(), key: rq.idemKey}
	body := jsonValue(rq.body)
	if e := s.st.idem[scope]; e != nil {
		if rq.now.Sub(e.storedAt) >= idemRetention {
			delete(s.st.idem, scope)
		} else {
			if !reflect.DeepEqual(e.body, body) {
				return rq.fail(newProblem(http.StatusConflict, pIdempotencyReused,
					"this Idempotency-Key was used with a different request body"))
			}
			r := e.resp.clone()
			r.header.Set("Idempotent-Replayed", "true")
			r.replayed = true
			return r
		}
	}
	resp := work()
	if storable(resp) {
		s.st.idem[scope] = &idemEntry{body: body, resp: resp.clone(), storedAt: rq.now}
		s.st.idemExpiry.add(scope, rq.now.Add(idemRetention))
	}
	return resp
}

// storable: 2xx and the 404/409 answers about the resource's lasting state.
func storable(r *response) bool {
	switch {
	case r.status/100 == 2:
		return true
	case r.status == http.StatusNotFound:
		return true
	case r.status == http.StatusConflict:
		return r.problem != pKeysNotReady && r.problem != pIdempotencyReused
	}
	return false
}
