package portaltest

import (
	"fmt"

	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/vipps"
)

// Client returns an SDK client with these credentials (from
// [Server.UserCredentials], [Server.PartnerCredentials],
// [Server.UnitCredentials] or [Server.ManagementCredentials]), aimed at this
// server (base URL and portal URL); opts are applied after those. Its error
// is [github.com/vippsportal/sdk/portal.New]'s.
func (s *Server) Client(c vipps.Credentials, opts ...portal.Option) (*portal.Client, error) {
	all := append([]portal.Option{
		portal.WithCredentials(c), portal.WithBaseURL(s.URL), portal.WithPortalURL(s.URL),
	}, opts...)
	return portal.New(all...)
}

// ManagementClient returns an SDK client holding the partner's management keys
// (Flow: [vipps.SpecializedAuth], no subscription key), aimed at this server;
// opts are applied after those. It reaches the Management API only. An
// unknown partner is an error.
func (s *Server) ManagementClient(partnerID string, opts ...portal.Option) (*portal.Client, error) {
	m := s.ManagementCredentials(partnerID)
	if m.ClientID == "" {
		return nil, fmt.Errorf("portaltest: no partner %q", partnerID)
	}
	return s.Client(m, opts...)
}

// AdminClient returns an SDK client acting as the default seed's
// ADMINISTRATOR ([AdminUserID]); opts are applied after its settings. It
// panics when the seed has no such user or opts are refused.
func (s *Server) AdminClient(opts ...portal.Option) *portal.Client {
	c, err := s.Client(s.UserCredentials(AdminUserID), opts...)
	if err != nil {
		panic("portaltest: " + err.Error())
	}
	return c
}
