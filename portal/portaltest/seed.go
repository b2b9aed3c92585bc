package portaltest

import (
	"fmt"
	"io"
	"slices"
	"time"
)

// Default seed identifiers; tests rely on them.
const (
	DefaultMerchantScheme = "business:NO:ORG"
	DefaultMerchantID     = "987654325"
	ProductionMSN         = "123456"
	SecondProductionMSN   = "123457"
	TestMSN               = "223344"
	AdminUserID           = "admin"
	DeveloperUserID       = "dev"
	AssistantUserID       = "assistant"
	OtherMerchantID       = "912345678"
	OtherMSN              = "654321"
	OtherAdminUserID      = "other-admin"
	PartnerID             = "p1"
	PricePackageID        = "8a11afb7-c223-48ed-8ca6-4722b97261aa"
)

// Seed is the simulator's starting state ([WithSeed]), in the JSON format of
// the seed file ([LoadSeed]). Fields tagged req:"1" are required; omitted
// keys, secrets and times are generated ([Server.ResolvedSeed] shows them).
type Seed struct {
	Merchants []SeedMerchant `json:"merchants" req:"1"`
	Partners  []SeedPartner  `json:"partners,omitempty"`
}

// SeedBusinessIdentifier identifies a merchant.
type SeedBusinessIdentifier struct {
	Scheme string `json:"scheme" req:"1"`
	ID     string `json:"id" req:"1"`
}

// SeedMerchant is a merchant with its sales units and portal users.
type SeedMerchant struct {
	BusinessIdentifier SeedBusinessIdentifier `json:"businessIdentifier" req:"1"`
	Name               string                 `json:"name" req:"1"`
	CountryCode        string                 `json:"countryCode" req:"1"`
	Status             string                 `json:"status,omitempty"` // ACTIVE (default) or DEACTIVATED
	CreatedAt          *time.Time             `json:"createdAt,omitempty"`
	UpdatedAt          *time.Time             `json:"updatedAt,omitempty"`
	SalesUnits         []SeedSalesUnit        `json:"salesUnits,omitempty"`
	Users              []SeedUser             `json:"users,omitempty"`
}

// SeedSalesUnit is a production or test sales unit.
type SeedSalesUnit struct {
	MSN           string             `json:"msn" req:"1"`
	Name          string             `json:"name" req:"1"`
	Environment   string             `json:"environment,omitempty"` // production (default) or test
	Status        string             `json:"status,omitempty"`      // ACTIVE (default) or INACTIVE
	Configuration *SeedConfiguration `json:"configuration,omitempty"`
	Options       *SeedOptions       `json:"options,omitempty"` // test units only; becomes the configuration
	Partner       string             `json:"partner,omitempty"` // test units only
	Keys          *SeedKeys          `json:"keys,omitempty"`
	CreatedAt     *time.Time         `json:"createdAt,omitempty"`
	CompletedAt   *time.Time         `json:"completedAt,omitempty"`
}

// SeedConfiguration mirrors the contract's Configuration: a nil field, or
// an empty CaptureType, is absent from the answers.
type SeedConfiguration struct {
	PaymentAllowed               *bool  `json:"paymentAllowed,omitempty"`
	CaptureType                  string `json:"captureType,omitempty"`
	SkipLandingPageAllowed       *bool  `json:"skipLandingPageAllowed,omitempty"`
	RecurringAllowed             *bool  `json:"recurringAllowed,omitempty"`
	PartialCaptureAllowed        *bool  `json:"partialCaptureAllowed,omitempty"`
	LateCaptureAllowed           *bool  `json:"lateCaptureAllowed,omitempty"`
	LandingPagePhoneNumberLocked *bool  `json:"landingPagePhoneNumberLocked,omitempty"`
	LongLivingPaymentAllowed     *bool  `json:"longLivingPaymentAllowed,omitempty"`
	CreditCardPaymentAllowed     *bool  `json:"creditCardPaymentAllowed,omitempty"`
}

// SeedOptions are a test unit's three portal options; they become its
// configuration, as the portal's form does.
type SeedOptions struct {
	SkipLandingPage bool `json:"skipLandingPage,omitempty"`
	Recurring       bool `json:"recurring,omitempty"`
	DirectCapture   bool `json:"directCapture,omitempty"`
}

// SeedKeys is a unit's key set; omitted values are generated.
type SeedKeys struct {
	ClientID                 string     `json:"clientId,omitempty"`
	ClientSecret             string     `json:"clientSecret,omitempty"`
	SubscriptionKeyPrimary   string     `json:"subscriptionKeyPrimary,omitempty"`
	SubscriptionKeySecondary string     `json:"subscriptionKeySecondary,omitempty"`
	UpdatedAt                *time.Time `json:"updatedAt,omitempty"`
}

// SeedAPIClient is a user's or partner's API client; omitted values are generated.
type SeedAPIClient struct {
	ClientID        string `json:"clientId,omitempty"`
	ClientSecret    string `json:"clientSecret,omitempty"`
	SubscriptionKey string `json:"subscriptionKey,omitempty"`
}

// SeedUser is a portal user of the merchant.
type SeedUser struct {
	UserID      string         `json:"userId" req:"1"`
	Name        string         `json:"name" req:"1"`
	PhoneNumber string         `json:"phoneNumber" req:"1"`
	Email       string         `json:"email,omitempty"`
	Role        string         `json:"role" req:"1"`
	Status      string         `json:"status,omitempty"` // ACTIVE (default) or INVITED
	CreatedAt   *time.Time     `json:"createdAt,omitempty"`
	SalesUnits  []SeedAccess   `json:"salesUnits,omitempty"`
	APIClient   *SeedAPIClient `json:"apiClient,omitempty"`
}

// SeedAccess is a user's permissions on one unit of its merchant.
type SeedAccess struct {
	MSN         string     `json:"msn" req:"1"`
	Permissions []string   `json:"permissions" req:"1"`
	GrantedAt   *time.Time `json:"grantedAt,omitempty"`
}

// SeedPartner is a partner platform.
type SeedPartner struct {
	PartnerID           string              `json:"partnerId" req:"1"`
	Name                string              `json:"name" req:"1"`
	APIClient           *SeedAPIClient      `json:"apiClient,omitempty"`
	ManagementKeys      *SeedManagementKeys `json:"managementKeys,omitempty"`
	ConnectedSalesUnits []string            `json:"connectedSalesUnits,omitempty"`
	PricePackages       []SeedPricePackage  `json:"pricePackages,omitempty"`
}

// SeedManagementKeys are a partner's management keys (the specialized flow,
// POST /miami/v1/token): a client id and secret, no subscription key. Omitted
// values are generated.
type SeedManagementKeys struct {
	ClientID     string `json:"clientId,omitempty"`
	ClientSecret string `json:"clientSecret,omitempty"`
}

// SeedPricePackage mirrors the contract's PricePackage, which
// getPartnerPricePackages ([OpGetPartnerPricePackages]) answers.
type SeedPricePackage struct {
	PricePackageID      string  `json:"pricePackageId" req:"1"`
	Name                string  `json:"name" req:"1"`
	Description         string  `json:"description" req:"1"`
	VisibleInSignupForm *bool   `json:"visibleInSignupForm,omitempty"`
	ProductType         string  `json:"productType,omitempty"`
	Market              string  `json:"market,omitempty"`
	Commission          *string `json:"commission,omitempty"`
}

// LoadSeed reads and checks a seed file. Unknown fields are refused, and the
// error names the JSON path of the first bad field, e.g.
// `merchants[0].salesUnits[1].msn: must match ^\d{4,10}$`.
func LoadSeed(r io.Reader) (Seed, error) {
	data, err := io.ReadAll(io.LimitReader(r, 64<<20))
	if err != nil {
		return Seed{}, fmt.Errorf("read seed: %w", err)
	}
	var s Seed
	if err := decodeStrict(data, &s, true); err != nil {
		return Seed{}, fmt.Errorf("seed: %w", err)
	}
	if err := s.validate(); err != nil {
		return Seed{}, fmt.Errorf("seed: %w", err)
	}
	return s, nil
}

func bp(b bool) *bool { return &b }

// DefaultSeed is the built-in seed (see the Default* constants).
func DefaultSeed() Seed {
	return Seed{
		Merchants: []SeedMerchant{{
			BusinessIdentifier: SeedBusinessIdentifier{Scheme: DefaultMerchantScheme, ID: DefaultMerchantID},
			Name:               "ACME Fantastic Fitness", CountryCode: "NO",
			SalesUnits: []SeedSalesUnit{
				{MSN: ProductionMSN, Name: "ACME Web", Environment: "production",
					Configuration: &SeedConfiguration{PaymentAllowed: bp(true), CaptureType: "ReserveCapture", RecurringAllowed: bp(true)}},
				{MSN: SecondProductionMSN, Name: "ACME POS", Environment: "production",
					Configuration: &SeedConfiguration{PaymentAllowed: bp(true), CaptureType: "DirectCapture"}},
				{MSN: TestMSN, Name: "ACME Test", Environment: "test", Options: &SeedOptions{SkipLandingPage: true}},
			},
			Users: []SeedUser{
				{UserID: AdminUserID, Name: "Ada Admin", PhoneNumber: "+4791234567", Role: "ADMINISTRATOR", Status: "ACTIVE",
					SalesUnits: []SeedAccess{{MSN: ProductionMSN, Permissions: []string{"DEVELOPER"}}}},
				{UserID: DeveloperUserID, Name: "Dev Eloper", PhoneNumber: "+4792345678", Role: "SALES_UNIT_MANAGER", Status: "ACTIVE",
					SalesUnits: []SeedAccess{{MSN: ProductionMSN, Permissions: []string{"DEVELOPER"}}, {MSN: TestMSN, Permissions: []string{"DEVELOPER"}}}},
				{UserID: AssistantUserID, Name: "Ann Assistant", PhoneNumber: "+4793456789", Role: "ASSISTANT", Status: "ACTIVE",
					SalesUnits: []SeedAccess{{MSN: SecondProductionMSN, Permissions: []string{"TRANSACTION_MANAGEMENT"}}}},
			},
		}, {
			BusinessIdentifier: SeedBusinessIdentifier{Scheme: DefaultMerchantScheme, ID: OtherMerchantID},
			Name:               "Other Merchant AS", CountryCode: "NO",
			SalesUnits: []SeedSalesUnit{{MSN: OtherMSN, Name: "Other Shop", Environment: "production",
				Configuration: &SeedConfiguration{PaymentAllowed: bp(true), CaptureType: "ReserveCapture"}}},
			Users: []SeedUser{{UserID: OtherAdminUserID, Name: "Otto Other", PhoneNumber: "+4794567890", Role: "ADMINISTRATOR", Status: "ACTIVE"}},
		}},
		Partners: []SeedPartner{{
			PartnerID: PartnerID, Name: "Integrator AS",
			ConnectedSalesUnits: []string{ProductionMSN, OtherMSN},
			PricePackages: []SeedPricePackage{{PricePackageID: PricePackageID, Name: "POS standard", Description: "2.99%",
				ProductType: "PAYMENT_INTEGRATION", Market: "NO"}},
		}},
	}
}

var (
	roles       = []string{"ADMINISTRATOR", "SALES_UNIT_MANAGER", "ASSISTANT"}
	permissions = []string{"DEVELOPER", "TRANSACTION_MANAGEMENT"}
	products    = []string{"PAYMENT_INTEGRATION", "CASHIER", "CHECKOUT", "LOGIN", "DONATIONS"}
)

// validate checks every seed rule; the error names the first bad field.
func (s *Seed) validate() *fieldError {
	msns := map[string]string{}      // msn -> path
	units := map[string]bool{}       // msn -> production
	userIDs := map[string]bool{}     //
	clientIDs := map[string]string{} // value -> path
	subKeys := map[string]string{}
	bizs := map[SeedBusinessIdentifier]bool{}
	uniqueClient := func(path, v string) *fieldError {
		if v == "" {
			return nil
		}
		if prev, ok := clientIDs[v]; ok {
			return ferr(path, "duplicates %s", prev)
		}
		clientIDs[v] = path
		return checkPattern(path, v, reUUID)
	}
	uniqueSub := func(path, v string) *fieldError {
		if v == "" {
			return nil
		}
		if e := checkPattern(path, v, reSubKey); e != nil {
			return e
		}
		if prev, ok := subKeys[v]; ok {
			return ferr(path, "duplicates %s", prev)
		}
		subKeys[v] = path
		return nil
	}
	checkClient := func(path string, c *SeedAPIClient) *fieldError {
		if c == nil {
			return nil
		}
		return firstErr(uniqueClient(path+".clientId", c.ClientID), uniqueSub(path+".subscriptionKey", c.SubscriptionKey))
	}
	for i := range s.Merchants {
		m := &s.Merchants[i]
		p := fmt.Sprintf("merchants[%d]", i)
		if e := firstErr(checkLen(p+".businessIdentifier.scheme", m.BusinessIdentifier.Scheme, 10, 30),
			checkPattern(p+".businessIdentifier.id", m.BusinessIdentifier.ID, reBusinessID)); e != nil {
			return e
		}
		if bizs[m.BusinessIdentifier] {
			return ferr(p+".businessIdentifier", "duplicate merchant")
		}
		bizs[m.BusinessIdentifier] = true
		if e := firstErr(checkName(p+".name", m.Name, 50), checkPattern(p+".countryCode", m.CountryCode, reCountry)); e != nil {
			return e
		}
		if m.Status != "" {
			if e := checkEnum(p+".status", m.Status, "ACTIVE", "DEACTIVATED"); e != nil {
				return e
			}
		}
		own := map[string]bool{}
		for j := range m.SalesUnits {
			u := &m.SalesUnits[j]
			up := fmt.Sprintf("%s.salesUnits[%d]", p, j)
			if e := checkPattern(up+".msn", u.MSN, reMSN); e != nil {
				return e
			}
			if prev, ok := msns[u.MSN]; ok {
				return ferr(up+".msn", "duplicates %s", prev)
			}
			msns[u.MSN] = up + ".msn"
			own[u.MSN] = true
			if e := checkName(up+".name", u.Name, 50); e != nil {
				return e
			}
			if u.Environment != "" {
				if e := checkEnum(up+".environment", u.Environment, "production", "test"); e != nil {
					return e
				}
			}
			test := u.Environment == "test"
			units[u.MSN] = !test
			if u.Status != "" {
				if e := checkEnum(up+".status", u.Status, "ACTIVE", "INACTIVE"); e != nil {
					return e
				}
			}
			if !test && u.Options != nil {
				return ferr(up+".options", "only test units have options")
			}
			if !test && u.Partner != "" {
				return ferr(up+".partner", "only test units have partner data")
			}
			if test && u.Configuration != nil {
				return ferr(up+".configuration", "a test unit's configuration comes from its options")
			}
			if test {
				if e := checkLen(up+".partner", u.Partner, 0, 50); e != nil {
					return e
				}
			}
			if u.Configuration != nil && u.Configuration.CaptureType != "" {
				if e := checkEnum(up+".configuration.captureType", u.Configuration.CaptureType, "ReserveCapture", "DirectCapture", "NotApplicable"); e != nil {
					return e
				}
			}
			if k := u.Keys; k != nil {
				if e := firstErr(uniqueClient(up+".keys.clientId", k.ClientID),
					uniqueSub(up+".keys.subscriptionKeyPrimary", k.SubscriptionKeyPrimary),
					uniqueSub(up+".keys.subscriptionKeySecondary", k.SubscriptionKeySecondary)); e != nil {
					return e
				}
			}
		}
		phones := map[string]string{}
		for j := range m.Users {
			u := &m.Users[j]
			up := fmt.Sprintf("%s.users[%d]", p, j)
			if e := checkLen(up+".userId", u.UserID, 1, 64); e != nil {
				return e
			}
			if userIDs[u.UserID] {
				return ferr(up+".userId", "duplicate user id")
			}
			userIDs[u.UserID] = true
			if e := firstErr(checkName(up+".name", u.Name, 100), checkPattern(up+".phoneNumber", u.PhoneNumber, rePhone)); e != nil {
				return e
			}
			if prev, ok := phones[u.PhoneNumber]; ok {
				return ferr(up+".phoneNumber", "duplicates %s", prev)
			}
			phones[u.PhoneNumber] = up + ".phoneNumber"
			if e := firstErr(checkLen(up+".email", u.Email, 0, 254), checkEnum(up+".role", u.Role, roles...)); e != nil {
				return e
			}
			if u.Status != "" {
				if e := checkEnum(up+".status", u.Status, "ACTIVE", "INVITED"); e != nil {
					return e
				}
			}
			seen := map[string]bool{}
			for k, a := range u.SalesUnits {
				ap := fmt.Sprintf("%s.salesUnits[%d]", up, k)
				if e := checkPattern(ap+".msn", a.MSN, reMSN); e != nil {
					return e
				}
				if !own[a.MSN] {
					return ferr(ap+".msn", "not a sales unit of this merchant")
				}
				if seen[a.MSN] {
					return ferr(ap+".msn", "listed twice")
				}
				seen[a.MSN] = true
				if e := checkPermissions(ap+".permissions", a.Permissions); e != nil {
					return e
				}
			}
			if e := checkClient(up+".apiClient", u.APIClient); e != nil {
				return e
			}
		}
	}
	partnerIDs := map[string]bool{}
	pkgIDs := map[string]bool{}
	for i := range s.Partners {
		pt := &s.Partners[i]
		p := fmt.Sprintf("partners[%d]", i)
		if e := checkLen(p+".partnerId", pt.PartnerID, 1, 64); e != nil {
			return e
		}
		if partnerIDs[pt.PartnerID] {
			return ferr(p+".partnerId", "duplicate partner id")
		}
		partnerIDs[pt.PartnerID] = true
		if e := firstErr(checkName(p+".name", pt.Name, 100), checkClient(p+".apiClient", pt.APIClient)); e != nil {
			return e
		}
		if mk := pt.ManagementKeys; mk != nil {
			if e := uniqueClient(p+".managementKeys.clientId", mk.ClientID); e != nil {
				return e
			}
		}
		seen := map[string]bool{}
		for j, msn := range pt.ConnectedSalesUnits {
			cp := fmt.Sprintf("%s.connectedSalesUnits[%d]", p, j)
			prod, ok := units[msn]
			switch {
			case !ok:
				return ferr(cp, "unknown sales unit %q", msn)
			case !prod:
				return ferr(cp, "must be a production sales unit")
			case seen[msn]:
				return ferr(cp, "listed twice")
			}
			seen[msn] = true
		}
		for j, pk := range pt.PricePackages {
			pp := fmt.Sprintf("%s.pricePackages[%d]", p, j)
			if e := checkPattern(pp+".pricePackageId", pk.PricePackageID, reUUID); e != nil {
				return e
			}
			if pkgIDs[pk.PricePackageID] {
				return ferr(pp+".pricePackageId", "duplicate price package id")
			}
			pkgIDs[pk.PricePackageID] = true
			if e := firstErr(checkLen(pp+".name", pk.Name, 0, 30), checkLen(pp+".description", pk.Description, 0, 6)); e != nil {
				return e
			}
			if pk.ProductType != "" {
				if e := checkEnum(pp+".productType", pk.ProductType, products...); e != nil {
					return e
				}
			}
			if pk.Market != "" {
				if e := checkEnum(pp+".market", pk.Market, "DK", "NO", "FI"); e != nil {
					return e
				}
			}
		}
	}
	return nil
}

func checkPermissions(path string, perms []string) *fieldError {
	if len(perms) == 0 {
		return ferr(path, "must hold at least one permission")
	}
	for i, p := range perms {
		if e := checkEnum(fmt.Sprintf("%s[%d]", path, i), p, permissions...); e != nil {
			return e
		}
		if slices.Contains(perms[:i], p) {
			return ferr(fmt.Sprintf("%s[%d]", path, i), "duplicate permission")
		}
	}
	return nil
}

// canonicalPerms orders a permission set.
func canonicalPerms(perms []string) []string {
	out := []string{}
	for _, p := range permissions {
		if slices.Contains(perms, p) {
			out = append(out, p)
		}
	}
	return out
}

func orTime(t *time.Time, def time.Time) time.Time {
	if t == nil {
		return def
	}
	return *t
}

func orStr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func tp(t time.Time) *time.Time { return &t }

// load fills an empty store from a validated seed, generating what is
// omitted, and returns the resolved seed (generated values and times filled in).
func (st *store) load(s Seed, r *rng, now time.Time) Seed {
	// Reserve every given key value before generating any.
	for _, m := range s.Merchants {
		for _, u := range m.SalesUnits {
			if u.Keys != nil {
				st.units["\x00"+u.MSN] = &unit{keys: keySet{clientID: u.Keys.ClientID, subPrimary: u.Keys.SubscriptionKeyPrimary, subSecondary: u.Keys.SubscriptionKeySecondary}}
			}
		}
		for _, u := range m.Users {
			if u.APIClient != nil {
				st.users["\x00"+u.UserID] = &user{client: apiClient{clientID: u.APIClient.ClientID, subKey: u.APIClient.SubscriptionKey}}
			}
		}
	}
	for _, p := range s.Partners {
		if p.APIClient != nil || p.ManagementKeys != nil {
			res := &partner{}
			if p.APIClient != nil {
				res.client = apiClient{clientID: p.APIClient.ClientID, subKey: p.APIClient.SubscriptionKey}
			}
			if p.ManagementKeys != nil {
				res.mgmt = apiClient{clientID: p.ManagementKeys.ClientID}
			}
			st.partners["\x00"+p.PartnerID] = res
		}
	}
	gen := func(v string, f func() string) string {
		if v == "" {
			return f()
		}
		return v
	}
	resolveClient := func(c *SeedAPIClient) *SeedAPIClient {
		out := SeedAPIClient{}
		if c != nil {
			out = *c
		}
		out.ClientID = gen(out.ClientID, func() string { return st.genClientID(r) })
		out.ClientSecret = gen(out.ClientSecret, r.secret)
		out.SubscriptionKey = gen(out.SubscriptionKey, func() string { return st.genSubKey(r) })
		return &out
	}
	res := Seed{Merchants: []SeedMerchant{}}
	for _, m := range s.Merchants {
		rm := m
		rm.SalesUnits, rm.Users = nil, nil
		rm.Status = orStr(m.Status, "ACTIVE")
		rm.CreatedAt = tp(orTime(m.CreatedAt, now))
		rm.UpdatedAt = tp(orTime(m.UpdatedAt, *rm.CreatedAt))
		biz := bizID{m.BusinessIdentifier.Scheme, m.BusinessIdentifier.ID}
		st.merchants[biz] = &merchant{biz: biz, name: m.Name, country: m.CountryCode, status: rm.Status,
			createdAt: *rm.CreatedAt, updatedAt: *rm.UpdatedAt}
		for _, u := range m.SalesUnits {
			ru := u
			ru.Environment = orStr(u.Environment, "production")
			ru.Status = orStr(u.Status, "ACTIVE")
			ru.CreatedAt = tp(orTime(u.CreatedAt, now))
			ru.CompletedAt = tp(orTime(u.CompletedAt, *ru.CreatedAt))
			k := SeedKeys{}
			if u.Keys != nil {
				k = *u.Keys
			}
			k.ClientID = gen(k.ClientID, func() string { return st.genClientID(r) })
			k.ClientSecret = gen(k.ClientSecret, r.secret)
			k.SubscriptionKeyPrimary = gen(k.SubscriptionKeyPrimary, func() string { return st.genSubKey(r) })
			k.SubscriptionKeySecondary = gen(k.SubscriptionKeySecondary, func() string {
				for {
					if v := st.genSubKey(r); v != k.SubscriptionKeyPrimary {
						return v
					}
				}
			})
			k.UpdatedAt = tp(orTime(k.UpdatedAt, *ru.CompletedAt))
			ru.Keys = &k
			un := &unit{msn: u.MSN, name: u.Name, env: ru.Environment, merchant: biz, inactive: ru.Status == "INACTIVE",
				partner: u.Partner, createdAt: *ru.CreatedAt, completedAt: *ru.CompletedAt, keysReady: true,
				keys: keySet{clientID: k.ClientID, clientSecret: k.ClientSecret, subPrimary: k.SubscriptionKeyPrimary,
					subSecondary: k.SubscriptionKeySecondary, updatedAt: *k.UpdatedAt}}
			if un.isTest() {
				if u.Options != nil {
					un.options = testOptions(*u.Options)
				}
				un.config = configFromOptions(un.options)
			} else if u.Configuration != nil {
				un.config = u.Configuration.clone()
			}
			delete(st.units, "\x00"+u.MSN)
			st.units[u.MSN] = un
			st.usedMSNs[u.MSN] = true
			rm.SalesUnits = append(rm.SalesUnits, ru)
		}
		for _, u := range m.Users {
			ru := u
			ru.Status = orStr(u.Status, "ACTIVE")
			ru.CreatedAt = tp(orTime(u.CreatedAt, now))
			delete(st.users, "\x00"+u.UserID)
			ru.APIClient = resolveClient(u.APIClient)
			us := &user{id: u.UserID, merchant: biz, name: u.Name, phone: u.PhoneNumber, email: u.Email, role: u.Role,
				status: ru.Status, createdAt: *ru.CreatedAt, grants: map[string]*grant{},
				client: apiClient{ru.APIClient.ClientID, ru.APIClient.ClientSecret, ru.APIClient.SubscriptionKey}}
			ru.SalesUnits = nil
			for _, a := range u.SalesUnits {
				ra := a
				ra.Permissions = canonicalPerms(a.Permissions)
				ra.GrantedAt = tp(orTime(a.GrantedAt, now))
				us.grants[a.MSN] = &grant{perms: ra.Permissions, grantedAt: *ra.GrantedAt}
				ru.SalesUnits = append(ru.SalesUnits, ra)
			}
			st.users[u.UserID] = us
			st.usedUserIDs[u.UserID] = true
			rm.Users = append(rm.Users, ru)
		}
		res.Merchants = append(res.Merchants, rm)
	}
	for _, p := range s.Partners {
		rp := p
		delete(st.partners, "\x00"+p.PartnerID)
		rp.APIClient = resolveClient(p.APIClient)
		mk := SeedManagementKeys{}
		if p.ManagementKeys != nil {
			mk = *p.ManagementKeys
		}
		mk.ClientID = gen(mk.ClientID, func() string { return st.genClientID(r) })
		mk.ClientSecret = gen(mk.ClientSecret, r.secret)
		rp.ManagementKeys = &mk
		pt := &partner{id: p.PartnerID, name: p.Name, connected: map[string]bool{},
			client: apiClient{rp.APIClient.ClientID, rp.APIClient.ClientSecret, rp.APIClient.SubscriptionKey},
			mgmt:   apiClient{clientID: mk.ClientID, clientSecret: mk.ClientSecret}}
		for _, msn := range p.ConnectedSalesUnits {
			pt.connected[msn] = true
		}
		pt.packages = slices.Clone(p.PricePackages)
		st.partners[p.PartnerID] = pt
		res.Partners = append(res.Partners, rp)
	}
	return res
}
