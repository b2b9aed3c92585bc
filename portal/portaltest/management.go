package portaltest

import (
	"net/http"
	"sort"
	"time"
)

type businessIdentifierJSON struct {
	Scheme string `json:"scheme" req:"1"`
	ID     string `json:"id" req:"1"`
}

func (b businessIdentifierJSON) check(path string) *fieldError {
	return firstErr(checkLen(join(path, "scheme"), b.Scheme, 10, 30), checkPattern(join(path, "id"), b.ID, reBusinessID))
}

type msnInfoJSON struct {
	MSN  string `json:"msn"`
	Name string `json:"name"`
}

type salesUnitJSON struct {
	MSN                string                 `json:"msn"`
	Name               string                 `json:"name"`
	BusinessIdentifier businessIdentifierJSON `json:"businessIdentifier"`
	Configuration      SeedConfiguration      `json:"configuration"`
}

type merchantJSON struct {
	BusinessIdentifier businessIdentifierJSON `json:"businessIdentifier"`
	Name               string                 `json:"name"`
	Status             string                 `json:"status"`
	CreatedAt          time.Time              `json:"createdAt"`
	UpdatedAt          time.Time              `json:"updatedAt"`
	CountryCode        string                 `json:"countryCode"`
}

func mgmtOK(v any) *response { return jsonResponse(http.StatusOK, ctManagement, v) }

// ownTestUnit: tokens from a test unit's own keys get 403 forbidden on that
// unit in the Management API (everyone else gets 404 there).
func (s *Server) ownTestUnit(rq *request) *apiError {
	if rq.who.kind == kindUnit && rq.who.id == rq.params["msn"] && s.st.units[rq.who.id].isTest() {
		return newProblem(http.StatusForbidden, pForbidden, "the Management API serves production sales units only")
	}
	return nil
}

// partnerOnly is the principal check of price packages and product orders.
func (s *Server) partnerOnly(rq *request) *apiError {
	if !rq.who.partnerSide() {
		return newProblem(http.StatusForbidden, pForbidden, "only a partner may use this operation")
	}
	return nil
}

// reaches reports whether the caller sees a unit in the Management API.
func (s *Server) reaches(who principal, u *unit) bool {
	if u == nil || u.isTest() || u.inactive {
		return false
	}
	switch who.kind {
	case kindUnit:
		return s.st.units[who.id].merchant == u.merchant
	case kindUser:
		us := s.st.users[who.id]
		if us.merchant != u.merchant {
			return false
		}
		return us.isAdmin() || us.grants[u.msn] != nil
	case kindPartner, kindManagement:
		return s.st.partners[who.id].connected[u.msn]
	}
	return false
}

// reachesMerchant: own merchant for unit keys and users; for a partner (API
// client or management keys), any
// merchant with a unit connected to it.
func (s *Server) reachesMerchant(who principal, m *merchant) bool {
	if m == nil {
		return false
	}
	if who.partnerSide() {
		for msn := range s.st.partners[who.id].connected {
			if u := s.st.units[msn]; u != nil && u.merchant == m.biz {
				return true
			}
		}
		return false
	}
	own, _ := s.st.merchantOf(who)
	return own == m.biz
}

func (s *Server) reachableUnits(who principal, filter func(*unit) bool) []msnInfoJSON {
	out := []msnInfoJSON{}
	for _, u := range s.st.units {
		if s.reaches(who, u) && (filter == nil || filter(u)) {
			out = append(out, msnInfoJSON{u.msn, u.name})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].MSN < out[j].MSN })
	return out
}

func (s *Server) listSalesUnits(rq *request) *response {
	if e := rq.bodyLimit(); e != nil {
		return rq.fail(e)
	}
	return mgmtOK(s.reachableUnits(rq.who, nil))
}

func (s *Server) getSalesUnit(rq *request) *response {
	if e := firstAPI(rq.pathMSN(), rq.bodyLimit(), s.ownTestUnit(rq)); e != nil {
		return rq.fail(e)
	}
	u := s.st.units[rq.params["msn"]]
	if !s.reaches(rq.who, u) {
		return rq.fail(notFound("sales unit"))
	}
	return mgmtOK(salesUnitJSON{u.msn, u.name, u.merchant.json(), u.config})
}

func (rq *request) pathMerchant() *apiError {
	b := businessIdentifierJSON{Scheme: rq.params["scheme"], ID: rq.params["id"]}
	if e := b.check(""); e != nil {
		return badRequest(e.Path, e.Error())
	}
	return nil
}

// merchantParam finds the merchant of the path, once the path's business
// identifier and the body limit have passed.
func (s *Server) merchantParam(rq *request) (*merchant, *apiError) {
	if e := firstAPI(rq.pathMerchant(), rq.bodyLimit()); e != nil {
		return nil, e
	}
	m := s.st.merchants[bizID{rq.params["scheme"], rq.params["id"]}]
	if !s.reachesMerchant(rq.who, m) {
		return nil, notFound("merchant")
	}
	return m, nil
}

func (s *Server) getMerchant(rq *request) *response {
	m, e := s.merchantParam(rq)
	if e != nil {
		return rq.fail(e)
	}
	return mgmtOK(merchantJSON{m.biz.json(), m.name, m.status, m.createdAt, m.updatedAt, m.country})
}

func (s *Server) listMerchantSalesUnits(rq *request) *response {
	m, e := s.merchantParam(rq)
	if e != nil {
		return rq.fail(e)
	}
	return mgmtOK(s.reachableUnits(rq.who, func(u *unit) bool { return u.merchant == m.biz }))
}

func (s *Server) listPricePackages(rq *request) *response {
	if e := firstAPI(rq.bodyLimit(), s.partnerOnly(rq)); e != nil {
		return rq.fail(e)
	}
	out := append([]SeedPricePackage{}, s.st.partners[rq.who.id].packages...)
	return mgmtOK(out)
}

// firstAPI returns the first refusal.
func firstAPI(errs ...*apiError) *apiError {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
