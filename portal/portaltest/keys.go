package portaltest

import (
	"net/http"
	"time"
)

type keySetJSON struct {
	MSN                      string    `json:"msn"`
	Environment              string    `json:"environment"`
	ClientID                 string    `json:"clientId"`
	ClientSecret             string    `json:"clientSecret"`
	SubscriptionKeyPrimary   string    `json:"subscriptionKeyPrimary"`
	SubscriptionKeySecondary string    `json:"subscriptionKeySecondary"`
	UpdatedAt                time.Time `json:"updatedAt"`
}

func keySetView(u *unit) keySetJSON {
	return keySetJSON{u.msn, u.env, u.keys.clientID, u.keys.clientSecret, u.keys.subPrimary, u.keys.subSecondary, u.keys.updatedAt}
}

type regenerateRequestJSON struct {
	Key string `json:"key" req:"1"`
}

func (regenerateRequestJSON) additionalPropertiesFalse() {}

// keysUnit runs the checks shared by getKeys and regenerateKey once the
// request's own checks have passed: principal kind, resource, permission.
func (s *Server) keysUnit(rq *request, checks ...*apiError) (*unit, *apiError) {
	u, e := s.portalUser(rq, checks...)
	if e != nil {
		return nil, e
	}
	un := s.st.unitOf(u.merchant, rq.params["msn"])
	if un == nil {
		return nil, notFound("sales unit")
	}
	if !u.isAdmin() && !u.has(un.msn, "DEVELOPER") {
		return nil, newProblem(http.StatusForbidden, pKeysHidden, "the keys need the DEVELOPER permission on this sales unit")
	}
	return un, nil
}

// keysReadyCheck is the state check: 409 keys-not-ready with Retry-After.
func keysReadyCheck(un *unit, now time.Time) *apiError {
	if un.keysReady {
		return nil
	}
	e := newProblem(http.StatusConflict, pKeysNotReady, "the sales unit's keys are still being issued")
	e.retryAfter = 1
	if !un.keysReadyAt.IsZero() {
		if secs := int((un.keysReadyAt.Sub(now) + time.Second - 1) / time.Second); secs > 1 {
			e.retryAfter = secs
		}
	}
	return e
}

func (s *Server) getKeys(rq *request) *response {
	un, e := s.keysUnit(rq, rq.pathMSN(), rq.bodyLimit())
	if e == nil {
		e = keysReadyCheck(un, rq.now)
	}
	if e != nil {
		return rq.fail(e)
	}
	return portalOK(http.StatusOK, keySetView(un))
}

func (s *Server) regenerateKey(rq *request) *response {
	if e := rq.pathMSN(); e != nil {
		return rq.fail(e)
	}
	var body regenerateRequestJSON
	if e := rq.decodeBody(&body); e != nil {
		return rq.fail(e)
	}
	if fe := checkEnum("key", body.Key, "clientId", "clientSecret", "subscriptionKeyPrimary", "subscriptionKeySecondary"); fe != nil {
		return rq.fail(badRequest(fe.Path, "request body: "+fe.Error()))
	}
	un, e := s.keysUnit(rq, rq.idempotencyKey())
	if e != nil {
		return rq.fail(e)
	}
	return s.idempotent(rq, func() *response {
		if e := keysReadyCheck(un, rq.now); e != nil {
			return rq.fail(e)
		}
		k := &un.keys
		switch body.Key {
		case "clientId":
			k.clientID = s.st.genClientID(s.rng)
		case "clientSecret":
			old := k.clientSecret
			for k.clientSecret == old {
				k.clientSecret = s.rng.secret()
			}
		case "subscriptionKeyPrimary":
			k.subPrimary = s.st.genSubKey(s.rng)
		case "subscriptionKeySecondary":
			k.subSecondary = s.st.genSubKey(s.rng)
		}
		k.updatedAt = moved(k.updatedAt, rq.now)
		return portalOK(http.StatusOK, keySetView(un))
	})
}

// moved returns now, or just after prev when the clock has not moved, so
// that updatedAt moves on every change.
func moved(prev, now time.Time) time.Time {
	if now.After(prev) {
		return now
	}
	return prev.Add(time.Millisecond)
}
