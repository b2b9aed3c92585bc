package portaltest

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/vippsportal/sdk/vipps"
)

// CompleteCreation ends a PENDING creation now: COMPLETED with a new unit, or
// FAILED if [Server.FailNextCreation] armed it. It returns the new unit's
// MSN; an unknown creation, one no longer PENDING, or one that ended FAILED
// is an error.
func (s *Server) CompleteCreation(creationID string) (string, error) {
	now := s.lockAndAdvance()
	defer s.mu.Unlock()
	c := s.st.creations[creationID]
	if c == nil {
		return "", fmt.Errorf("portaltest: no creation %q", creationID)
	}
	if c.status != "PENDING" {
		return "", fmt.Errorf("portaltest: creation %q is %s", creationID, c.status)
	}
	s.complete(c, now)
	if c.status == "FAILED" {
		return "", fmt.Errorf("portaltest: creation %q failed: %s", creationID, c.failDetail)
	}
	return c.msn, nil
}

// CompleteAll completes every PENDING creation now, oldest first, and returns
// the new units' MSNs.
func (s *Server) CompleteAll() []string {
	now := s.lockAndAdvance()
	defer s.mu.Unlock()
	pending := filter(s.st.creations, func(c *creation) bool { return c.status == "PENDING" })
	sortBy(pending, func(c *creation) sortKey { return sortKey{c.createdAt, c.id} })
	out := []string{}
	for _, c := range pending {
		s.complete(c, now)
		if c.status == "COMPLETED" {
			out = append(out, c.msn)
		}
	}
	return out
}

// IssueKeys makes a unit's keys ready now (see [WithManualProvisioning] and
// [WithKeysDelay]); an unknown unit is an error.
func (s *Server) IssueKeys(msn string) error {
	now := s.lockAndAdvance()
	defer s.mu.Unlock()
	u := s.st.units[msn]
	if u == nil {
		return fmt.Errorf("portaltest: no sales unit %q", msn)
	}
	if !u.keysReady {
		u.keysReady = true
		u.keys.updatedAt = moved(u.keys.updatedAt, now)
	}
	return nil
}

// FailNextCreation makes the next creation posted end FAILED with a
// provisioning-failed Problem carrying detail ("provisioning failed" when
// empty). Each call arms one more creation.
func (s *Server) FailNextCreation(detail string) {
	if detail == "" {
		detail = "provisioning failed"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.failNext = append(s.st.failNext, detail)
}

// SetOrderStatus moves a product order to any contract status now; COMPLETED
// creates its production unit, connected to the partner. An unknown order or
// status is an error.
func (s *Server) SetOrderStatus(productOrderID, status string) error {
	if !slices.Contains(orderStatuses, status) {
		return fmt.Errorf("portaltest: unknown order status %q", status)
	}
	now := s.lockAndAdvance()
	defer s.mu.Unlock()
	o := s.st.orders[productOrderID]
	if o == nil {
		return fmt.Errorf("portaltest: no product order %q", productOrderID)
	}
	s.setOrderStatus(o, status, now)
	return nil
}

// ActivateUser moves an INVITED user to ACTIVE (as logging in would); an
// unknown user, or one not INVITED, is an error.
func (s *Server) ActivateUser(userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.users[userID]
	if u == nil {
		return fmt.Errorf("portaltest: no user %q", userID)
	}
	if u.status != "INVITED" {
		return errors.New("portaltest: user " + userID + " is not INVITED")
	}
	u.status = "ACTIVE"
	return nil
}

// KeySet is a unit's whole current key set in plain strings, as the
// simulator holds it: both subscription keys, for tests that need the one a
// [vipps.Credentials] does not carry. It reveals every value: a test double,
// never a type to log.
type KeySet struct {
	MSN, Environment, ClientID, ClientSecret, SubscriptionKeyPrimary, SubscriptionKeySecondary string
	UpdatedAt                                                                                  time.Time
}

// UserCredentials returns the user's API client (MSN empty); zero if unknown.
func (s *Server) UserCredentials(userID string) vipps.Credentials {
	return s.credentialsOf(principal{kindUser, userID})
}

// PartnerCredentials returns the partner's API client; zero if unknown.
func (s *Server) PartnerCredentials(partnerID string) vipps.Credentials {
	return s.credentialsOf(principal{kindPartner, partnerID})
}

// ManagementCredentials returns the partner's management keys: the
// specialized flow (Flow: [vipps.SpecializedAuth], POST /miami/v1/token with
// HTTP Basic), no subscription key; zero if unknown.
func (s *Server) ManagementCredentials(partnerID string) vipps.Credentials {
	return s.credentialsOf(principal{kindManagement, partnerID})
}

// credentialsOf is the API client or management keys of a user or partner;
// zero if unknown.
func (s *Server) credentialsOf(who principal) vipps.Credentials {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, p := s.st.users[who.id], s.st.partners[who.id]
	switch {
	case who.kind == kindUser && u != nil:
		return u.client.credentials()
	case who.kind == kindPartner && p != nil:
		return p.client.credentials()
	case who.kind == kindManagement && p != nil:
		return p.mgmt.managementCredentials()
	}
	return vipps.Credentials{}
}

// UnitCredentials returns the unit's current keys with the primary
// subscription key and the unit's MSN; zero if unknown.
func (s *Server) UnitCredentials(msn string) vipps.Credentials {
	k, ok := s.UnitKeys(msn)
	if !ok {
		return vipps.Credentials{}
	}
	return vipps.Credentials{ClientID: k.ClientID, ClientSecret: vipps.Secret(k.ClientSecret),
		SubscriptionKey: vipps.Secret(k.SubscriptionKeyPrimary), MSN: msn}
}

// UnitKeys returns the unit's current key set (issued or not yet); false
// for an unknown unit.
func (s *Server) UnitKeys(msn string) (KeySet, bool) {
	s.lockAndAdvance()
	defer s.mu.Unlock()
	u := s.st.units[msn]
	if u == nil {
		return KeySet{}, false
	}
	return KeySet{MSN: u.msn, Environment: u.env, ClientID: u.keys.clientID, ClientSecret: u.keys.clientSecret,
		SubscriptionKeyPrimary: u.keys.subPrimary, SubscriptionKeySecondary: u.keys.subSecondary, UpdatedAt: u.keys.updatedAt}, true
}
