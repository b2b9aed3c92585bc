package portaltest

import (
	"slices"
	"sort"
	"time"

	"github.com/vippsportal/sdk/vipps"
)

// State is a deep copy of the whole simulated system in plain values, sorted,
// so that two snapshots compare equal when nothing happened.
type State struct {
	Merchants     []MerchantState
	SalesUnits    []SalesUnitState
	Users         []UserState
	Partners      []PartnerState
	Creations     []CreationState
	ProductOrders []ProductOrderState
	Webhooks      []WebhookState
	IssuedTokens  int
}

// MerchantState is one merchant.
type MerchantState struct {
	Scheme, ID, Name, CountryCode, Status string
	CreatedAt, UpdatedAt                  time.Time
}

// ConfigurationState is a unit's configuration; nil means absent.
type ConfigurationState struct {
	PaymentAllowed, SkipLandingPageAllowed, RecurringAllowed, PartialCaptureAllowed, LateCaptureAllowed,
	LandingPagePhoneNumberLocked, LongLivingPaymentAllowed, CreditCardPaymentAllowed *bool
	CaptureType *string
}

// SalesUnitState is one unit with its keys.
type SalesUnitState struct {
	MSN, Name, Environment                    string
	MerchantScheme, MerchantID                string
	Inactive                                  bool
	SkipLandingPage, Recurring, DirectCapture bool
	Partner                                   string
	Configuration                             ConfigurationState
	CreatedAt, CompletedAt                    time.Time
	Keys                                      KeySet
	KeysReady                                 bool
}

// UserState is one portal user with its grants and API client.
type UserState struct {
	UserID, MerchantScheme, MerchantID, Name, PhoneNumber, Email, Role, Status string
	CreatedAt                                                                  time.Time
	Grants                                                                     []GrantState
	APIClient                                                                  vipps.Credentials
}

// GrantState is a user's permissions on one unit.
type GrantState struct {
	MSN         string
	Permissions []string
	GrantedAt   time.Time
}

// PartnerState is one partner.
type PartnerState struct {
	PartnerID, Name     string
	APIClient           vipps.Credentials // secrets print redacted; Reveal gives them
	ManagementKeys      vipps.Credentials // Flow: vipps.SpecializedAuth
	ConnectedSalesUnits []string
	PricePackageIDs     []string
}

// CreationState is one test unit creation record.
type CreationState struct {
	CreationID, MerchantScheme, MerchantID, CreatorUserID, Name, Status, MSN, FailureDetail string
	SkipLandingPage, Recurring, DirectCapture                                               bool
	Partner                                                                                 *string
	CreatedAt, CompletedAt                                                                  time.Time
}

// ProductOrderState is one product order.
type ProductOrderState struct {
	ProductOrderID, PartnerID, MerchantScheme, MerchantID, ProductType, Status, MSN string
	CreatedAt, ChangedAt                                                            time.Time
}

// WebhookState is one webhook registration. Its secret is not here: the
// contract shows it once, in the 201 of registerWebhook.
type WebhookState struct {
	ID        string
	MSN       string // the unit whose registration it is; "" when partner-wide
	PartnerID string // the partner of a partner-wide registration; "" otherwise
	URL       string
	Events    []string
	CreatedAt time.Time
	Pending   int // notifications not yet delivered nor given up
}

// State returns a snapshot of everything the simulator holds.
func (s *Server) State() State {
	s.lockAndAdvance()
	defer s.mu.Unlock()
	st := s.st
	out := State{IssuedTokens: st.issuedTokens}
	for _, m := range st.merchants {
		out.Merchants = append(out.Merchants, MerchantState{m.biz.scheme, m.biz.id, m.name, m.country, m.status, m.createdAt, m.updatedAt})
	}
	sort.Slice(out.Merchants, func(i, j int) bool {
		return out.Merchants[i].Scheme+"/"+out.Merchants[i].ID < out.Merchants[j].Scheme+"/"+out.Merchants[j].ID
	})
	for _, u := range st.units {
		c := u.config.clone()
		su := SalesUnitState{MSN: u.msn, Name: u.name, Environment: u.env,
			MerchantScheme: u.merchant.scheme, MerchantID: u.merchant.id, Inactive: u.inactive,
			SkipLandingPage: u.options.SkipLandingPage, Recurring: u.options.Recurring, DirectCapture: u.options.DirectCapture,
			Partner: u.partner, CreatedAt: u.createdAt, CompletedAt: u.completedAt, KeysReady: u.keysReady,
			Configuration: ConfigurationState{c.PaymentAllowed, c.SkipLandingPageAllowed, c.RecurringAllowed, c.PartialCaptureAllowed,
				c.LateCaptureAllowed, c.LandingPagePhoneNumberLocked, c.LongLivingPaymentAllowed, c.CreditCardPaymentAllowed, nil},
			Keys: KeySet{u.msn, u.env, u.keys.clientID, u.keys.clientSecret, u.keys.subPrimary, u.keys.subSecondary, u.keys.updatedAt}}
		if c.CaptureType != "" {
			su.Configuration.CaptureType = &c.CaptureType
		}
		out.SalesUnits = append(out.SalesUnits, su)
	}
	sort.Slice(out.SalesUnits, func(i, j int) bool { return out.SalesUnits[i].MSN < out.SalesUnits[j].MSN })
	for _, u := range st.users {
		us := UserState{UserID: u.id, MerchantScheme: u.merchant.scheme, MerchantID: u.merchant.id, Name: u.name,
			PhoneNumber: u.phone, Email: u.email, Role: u.role, Status: u.status, CreatedAt: u.createdAt,
			APIClient: u.client.credentials()}
		for msn, g := range u.grants {
			us.Grants = append(us.Grants, GrantState{msn, slices.Clone(g.perms), g.grantedAt})
		}
		sort.Slice(us.Grants, func(i, j int) bool { return us.Grants[i].MSN < us.Grants[j].MSN })
		out.Users = append(out.Users, us)
	}
	sort.Slice(out.Users, func(i, j int) bool { return out.Users[i].UserID < out.Users[j].UserID })
	for _, p := range st.partners {
		ps := PartnerState{PartnerID: p.id, Name: p.name, APIClient: p.client.credentials(), ManagementKeys: p.mgmt.managementCredentials()}
		for msn := range p.connected {
			ps.ConnectedSalesUnits = append(ps.ConnectedSalesUnits, msn)
		}
		sort.Strings(ps.ConnectedSalesUnits)
		for _, pk := range p.packages {
			ps.PricePackageIDs = append(ps.PricePackageIDs, pk.PricePackageID)
		}
		out.Partners = append(out.Partners, ps)
	}
	sort.Slice(out.Partners, func(i, j int) bool { return out.Partners[i].PartnerID < out.Partners[j].PartnerID })
	for _, c := range st.creations {
		cs := CreationState{CreationID: c.id, MerchantScheme: c.merchant.scheme, MerchantID: c.merchant.id, CreatorUserID: c.creator,
			Name: c.req.Name, Status: c.status, MSN: c.msn, SkipLandingPage: c.req.Options.SkipLandingPage,
			Recurring: c.req.Options.Recurring, DirectCapture: c.req.Options.DirectCapture, CreatedAt: c.createdAt, CompletedAt: c.completedAt}
		if c.req.Partner != nil {
			p := *c.req.Partner
			cs.Partner = &p
		}
		if c.failure != nil {
			cs.FailureDetail = c.failure.Detail
		}
		out.Creations = append(out.Creations, cs)
	}
	sort.Slice(out.Creations, func(i, j int) bool { return out.Creations[i].CreationID < out.Creations[j].CreationID })
	for _, o := range st.orders {
		out.ProductOrders = append(out.ProductOrders, ProductOrderState{o.id, o.partner, o.biz.scheme, o.biz.id, o.productType, o.status, o.msn, o.createdAt, o.changedAt})
	}
	sort.Slice(out.ProductOrders, func(i, j int) bool { return out.ProductOrders[i].ProductOrderID < out.ProductOrders[j].ProductOrderID })
	for _, w := range st.webhooks {
		out.Webhooks = append(out.Webhooks, WebhookState{ID: w.id, MSN: w.scope.msn, PartnerID: w.scope.partner, URL: w.url,
			Events: slices.Clone(w.events), CreatedAt: w.createdAt, Pending: len(w.queue)})
	}
	sort.Slice(out.Webhooks, func(i, j int) bool { return out.Webhooks[i].ID < out.Webhooks[j].ID })
	return out
}
