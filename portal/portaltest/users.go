package portaltest

import (
	"net/http"
	"slices"
	"sort"
	"time"
)

type salesUnitAccessJSON struct {
	MSN         string    `json:"msn"`
	Permissions []string  `json:"permissions"`
	GrantedAt   time.Time `json:"grantedAt"`
}

type userJSON struct {
	UserID      string                `json:"userId"`
	PhoneNumber string                `json:"phoneNumber"`
	Name        string                `json:"name"`
	Email       string                `json:"email,omitempty"`
	Role        string                `json:"role"`
	Status      string                `json:"status"`
	SalesUnits  []salesUnitAccessJSON `json:"salesUnits"`
	CreatedAt   time.Time             `json:"createdAt"`
}

type meJSON struct {
	UserID      string `json:"userId"`
	Name        string `json:"name"`
	PhoneNumber string `json:"phoneNumber"`
	Role        string `json:"role"`
	Merchant    struct {
		BusinessIdentifier businessIdentifierJSON `json:"businessIdentifier"`
		Name               string                 `json:"name"`
	} `json:"merchant"`
}

type inviteRequestJSON struct {
	PhoneNumber string  `json:"phoneNumber" req:"1"`
	Name        string  `json:"name" req:"1"`
	Email       *string `json:"email"`
	Role        string  `json:"role" req:"1"`
}

func (inviteRequestJSON) additionalPropertiesFalse() {}

type grantRequestJSON struct {
	Permissions []string `json:"permissions" req:"1"`
}

func (grantRequestJSON) additionalPropertiesFalse() {}

func userView(u *user) userJSON {
	v := userJSON{UserID: u.id, PhoneNumber: u.phone, Name: u.name, Email: u.email, Role: u.role, Status: u.status,
		SalesUnits: []salesUnitAccessJSON{}, CreatedAt: u.createdAt}
	for msn, g := range u.grants {
		v.SalesUnits = append(v.SalesUnits, salesUnitAccessJSON{msn, slices.Clone(g.perms), g.grantedAt})
	}
	sort.Slice(v.SalesUnits, func(i, j int) bool { return v.SalesUnits[i].MSN < v.SalesUnits[j].MSN })
	return v
}

func (s *Server) getMe(rq *request) *response {
	u, e := s.portalUser(rq, rq.bodyLimit())
	if e != nil {
		return rq.fail(e)
	}
	m := s.st.merchants[u.merchant]
	v := meJSON{UserID: u.id, Name: u.name, PhoneNumber: u.phone, Role: u.role}
	v.Merchant.BusinessIdentifier = u.merchant.json()
	v.Merchant.Name = m.name
	return portalOK(http.StatusOK, v)
}

// admin is the role check of the user-management operations, made once the
// request's checks and the principal check have passed.
func (s *Server) admin(rq *request, checks ...*apiError) (*user, *apiError) {
	u, e := s.portalUser(rq, checks...)
	if e != nil {
		return nil, e
	}
	if !u.isAdmin() {
		return nil, newProblem(http.StatusForbidden, pAdminRequired, "this operation needs the ADMINISTRATOR role")
	}
	return u, nil
}

// userParam finds a user of the caller's merchant.
func (s *Server) userParam(rq *request, caller *user) (*user, *apiError) {
	u := s.st.users[rq.params["userId"]]
	if u == nil || u.merchant != caller.merchant {
		return nil, notFound("user")
	}
	return u, nil
}

func (s *Server) listUsers(rq *request) *response {
	p, e := s.listPaging(rq, "")
	caller, e := s.admin(rq, e)
	if e != nil {
		return rq.fail(e)
	}
	us := filter(s.st.users, func(u *user) bool { return u.merchant == caller.merchant })
	return pageResponse(s, p, us, func(u *user) sortKey { return sortKey{u.createdAt, u.id} }, userView)
}

func (s *Server) inviteUser(rq *request) *response {
	var body inviteRequestJSON
	if e := rq.decodeBody(&body); e != nil {
		return rq.fail(e)
	}
	fe := firstErr(checkPattern("phoneNumber", body.PhoneNumber, rePhone), checkName("name", body.Name, 100))
	if fe == nil && body.Email != nil {
		fe = checkLen("email", *body.Email, 0, 254)
	}
	if fe == nil {
		fe = checkEnum("role", body.Role, roles...)
	}
	if fe != nil {
		return rq.fail(badRequest(fe.Path, "request body: "+fe.Error()))
	}
	caller, e := s.admin(rq, rq.idempotencyKey())
	if e != nil {
		return rq.fail(e)
	}
	return s.idempotent(rq, func() *response {
		for _, u := range s.st.users {
			if u.merchant == caller.merchant && u.phone == body.PhoneNumber {
				return rq.fail(newProblem(http.StatusConflict, pUserExists, "a user of the merchant has this phone number"))
			}
		}
		id := s.rng.uuid()
		for s.st.usedUserIDs[id] {
			id = s.rng.uuid()
		}
		s.st.usedUserIDs[id] = true
		u := &user{id: id, merchant: caller.merchant, name: body.Name, phone: body.PhoneNumber, role: body.Role,
			status: "INVITED", createdAt: rq.now, grants: map[string]*grant{}, client: s.st.genAPIClient(s.rng)}
		if body.Email != nil {
			u.email = *body.Email
		}
		s.st.users[id] = u
		return portalOK(http.StatusCreated, userView(u))
	})
}

func (s *Server) getUser(rq *request) *response {
	caller, e := s.portalUser(rq, rq.pathUserID(), rq.bodyLimit())
	if e != nil {
		return rq.fail(e)
	}
	// A user that is not an ADMINISTRATOR may read itself only: any other
	// id is refused by role, before the lookup, so nothing leaks.
	if !caller.isAdmin() && caller.id != rq.params["userId"] {
		return rq.fail(newProblem(http.StatusForbidden, pAdminRequired, "only an ADMINISTRATOR may read another user"))
	}
	u, e := s.userParam(rq, caller)
	if e != nil {
		return rq.fail(e)
	}
	return portalOK(http.StatusOK, userView(u))
}

func (s *Server) removeUser(rq *request) *response {
	u, e := s.managedUser(rq, rq.pathUserID(), rq.bodyLimit())
	if e != nil {
		return rq.fail(e)
	}
	if u.isAdmin() && u.status == "ACTIVE" && s.st.activeAdmins(u.merchant) == 1 {
		return rq.fail(newProblem(http.StatusConflict, pLastAdministrator, "this is the merchant's last ACTIVE ADMINISTRATOR"))
	}
	// Removing the user removes its grants and API client with it; its
	// tokens then answer token-revoked.
	delete(s.st.users, u.id)
	return emptyResponse(http.StatusNoContent)
}

// managedUser finds the user of an ADMINISTRATOR's merchant that a
// user-management operation names, once the request's checks and the role
// check have passed.
func (s *Server) managedUser(rq *request, checks ...*apiError) (*user, *apiError) {
	caller, e := s.admin(rq, checks...)
	if e != nil {
		return nil, e
	}
	return s.userParam(rq, caller)
}

// accessParams finds the user and unit of grant and revoke.
func (s *Server) accessParams(rq *request, checks ...*apiError) (*user, *unit, *apiError) {
	u, e := s.managedUser(rq, checks...)
	if e != nil {
		return nil, nil, e
	}
	un := s.st.unitOf(u.merchant, rq.params["msn"])
	if un == nil {
		return nil, nil, notFound("sales unit")
	}
	return u, un, nil
}

func (s *Server) grantAccess(rq *request) *response {
	if e := firstAPI(rq.pathUserID(), rq.pathMSN()); e != nil {
		return rq.fail(e)
	}
	var body grantRequestJSON
	if e := rq.decodeBody(&body); e != nil {
		return rq.fail(e)
	}
	if fe := checkPermissions("permissions", body.Permissions); fe != nil {
		return rq.fail(badRequest(fe.Path, "request body: "+fe.Error()))
	}
	u, un, e := s.accessParams(rq)
	if e != nil {
		return rq.fail(e)
	}
	perms := canonicalPerms(body.Permissions)
	g := u.grants[un.msn]
	if g == nil || !slices.Equal(g.perms, perms) {
		g = &grant{perms: perms, grantedAt: rq.now}
		u.grants[un.msn] = g
	}
	return portalOK(http.StatusOK, salesUnitAccessJSON{un.msn, slices.Clone(g.perms), g.grantedAt})
}

func (s *Server) revokeAccess(rq *request) *response {
	u, un, e := s.accessParams(rq, rq.pathUserID(), rq.pathMSN(), rq.bodyLimit())
	if e != nil {
		return rq.fail(e)
	}
	delete(u.grants, un.msn)
	return emptyResponse(http.StatusNoContent)
}
