package portal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"text/tabwriter"
	"unicode"
	"unicode/utf8"

	"github.com/vippsportal/sdk/internal/core"
	"github.com/vippsportal/sdk/salesunit"
	"github.com/vippsportal/sdk/users"
	"github.com/vippsportal/sdk/vipps"
)

// KeyKind says whose keys a client holds: the principals of the contract.
// [Client.Diagnose] infers it from what answers.
type KeyKind string

// The kinds of key set.
const (
	UnknownKeys    KeyKind = "unknown"
	UnitKeys       KeyKind = "unit"       // a sales unit's own keys
	UserKeys       KeyKind = "user"       // a portal user's API client
	PartnerKeys    KeyKind = "partner"    // a partner's API client (standard flow)
	ManagementKeys KeyKind = "management" // a partner's management keys (specialized flow)
)

// Description is the kind in words, such as "a sales unit's own keys".
func (k KeyKind) Description() string {
	switch k {
	case UnitKeys:
		return "a sales unit's own keys"
	case UserKeys:
		return "a portal user's API client"
	case PartnerKeys:
		return "a partner's API client"
	case ManagementKeys:
		return "a partner's management keys"
	}
	return "keys of an unknown kind"
}

// CheckName names one check of a [Diagnosis].
type CheckName string

// The checks of a Diagnosis, in the order they are reported.
const (
	SettingsCheck        CheckName = "settings"         // the key values as given: stray spaces or quotes
	TokenCheck           CheckName = "token"            // a token can be had with the client id and secret
	SubscriptionKeyCheck CheckName = "subscription-key" // the gateway accepts the subscription key
	MSNCheck             CheckName = "msn"              // the MSN the client sends is a sales unit it reaches
	ManagementCheck      CheckName = "management"       // what the Management API serves these keys
	PortalCheck          CheckName = "portal"           // whether portal operations serve these keys
	WebhooksCheck        CheckName = "webhooks"         // whether the Webhooks API serves these keys
)

// CheckStatus is a check's outcome.
type CheckStatus string

// Outcomes of a check. Only CheckFailed makes a [Diagnosis] not OK.
const (
	CheckOK          CheckStatus = "ok"
	CheckFailed      CheckStatus = "failed"
	CheckSkipped     CheckStatus = "skipped"      // could not be tried (no token, no portal URL, no MSN ...)
	CheckNotExpected CheckStatus = "not-expected" // refused, as the contract says it is for this kind of keys
)

// Check is one finding of [Client.Diagnose]. Detail says what was found in
// words a person acts on, and never holds a secret. Setting names the value
// to fix by its [NewFromEnv] variable ([EnvClientSecret] ...; "WithMSN" for
// an MSN the call's context carried, see [WithMSN]) when a check failed
// because of it.
type Check struct {
	Name    CheckName   `json:"name"`
	Status  CheckStatus `json:"status"`
	Detail  string      `json:"detail"`
	Setting string      `json:"setting,omitempty"`
}

// Diagnosis is what [Client.Diagnose] found out about a client's settings
// and keys. It holds no secret: print it ([Diagnosis.String]) or encode it as
// JSON freely.
type Diagnosis struct {
	Environment   string         `json:"environment"` // "production", "test", or "custom" (a base URL of WithBaseURL)
	BaseURL       string         `json:"baseUrl"`
	PortalURL     string         `json:"portalUrl,omitempty"`
	Flow          vipps.AuthFlow `json:"flow"`
	MSN           string         `json:"msn,omitempty"` // the Merchant-Serial-Number the client sends
	KeyKind       KeyKind        `json:"keyKind"`
	Role          users.Role     `json:"role,omitempty"` // a portal user's role
	KeyKindReason string         `json:"keyKindReason"`  // what the kind was inferred from
	Checks        []Check        `json:"checks"`
}

// OK reports whether no check failed ([CheckFailed]): the keys work for
// everything their kind can reach.
func (d *Diagnosis) OK() bool {
	if d == nil {
		return false
	}
	for _, c := range d.Checks {
		if c.Status == CheckFailed {
			return false
		}
	}
	return true
}

// Check returns the first check named name.
func (d *Diagnosis) Check(name CheckName) (Check, bool) {
	if d != nil {
		for _, c := range d.Checks {
			if c.Name == name {
				return c, true
			}
		}
	}
	return Check{}, false
}

// Err is nil when OK, else an error naming each failed check and its setting:
// for a service that checks its keys at start-up.
func (d *Diagnosis) Err() error {
	if d == nil {
		return errors.New("portal: no diagnosis")
	}
	var errs []error
	for _, c := range d.Checks {
		if c.Status == CheckFailed {
			errs = append(errs, fmt.Errorf("portal: %s check failed: %s%s", c.Name, c.Detail, fixText(c.Setting)))
		}
	}
	return errors.Join(errs...)
}

// MarshalJSON adds "ok" ([Diagnosis.OK]) to the fields.
func (d *Diagnosis) MarshalJSON() ([]byte, error) {
	type plain Diagnosis
	return json.Marshal(struct {
		OK bool `json:"ok"`
		*plain
	}{d.OK(), (*plain)(d)})
}

// String is the report a person reads: the settings, the kind of keys, one
// line per check, and what to fix.
func (d *Diagnosis) String() string {
	if d == nil {
		return "<nil>"
	}
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "Environment:\t%s\n", d.Environment)
	fmt.Fprintf(w, "Base URL:\t%s\n", d.BaseURL)
	fmt.Fprintf(w, "Portal URL:\t%s\n", orNone(d.PortalURL))
	kind := d.KeyKind.Description()
	if d.Role != "" {
		kind += " (" + string(d.Role) + ")"
	}
	fmt.Fprintf(w, "Keys:\t%s, %s token flow\n", kind, d.Flow)
	if d.KeyKindReason != "" {
		fmt.Fprintf(w, "\t(%s)\n", d.KeyKindReason)
	}
	fmt.Fprintf(w, "MSN:\t%s\n", orNone(d.MSN))
	_ = w.Flush()
	b.WriteByte('\n')
	w = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, c := range d.Checks {
		fmt.Fprintf(w, "%s\t%s: %s%s\n", statusText(c.Status), c.Name, c.Detail, fixText(c.Setting))
	}
	_ = w.Flush()
	var fix []string
	failed := 0
	for _, c := range d.Checks {
		if c.Status != CheckFailed {
			continue
		}
		failed++
		if c.Setting != "" && !slices.Contains(fix, c.Setting) {
			fix = append(fix, c.Setting)
		}
	}
	switch {
	case failed == 0:
		fmt.Fprintf(&b, "\nThese keys work for everything %s can reach.\n", d.KeyKind.Description())
	case len(fix) > 0:
		fmt.Fprintf(&b, "\n%d check(s) failed. Fix %s.\n", failed, strings.Join(fix, ", "))
	default:
		fmt.Fprintf(&b, "\n%d check(s) failed.\n", failed)
	}
	return b.String()
}

func statusText(s CheckStatus) string {
	switch s {
	case CheckFailed:
		return "FAILED"
	case CheckNotExpected:
		return "not expected"
	}
	return string(s)
}

func fixText(setting string) string {
	if setting == "" {
		return ""
	}
	return " (fix " + setting + ")"
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// Diagnose finds out what the client's keys can reach and, when something
// fails, which setting is wrong, in words a person acts on. Run it at
// start-up, or from the shell as portalctl doctor.
//
// It checks the key values for stray spaces and quotes (locally), asks for a
// token (outside the token cache; in Vipps' environments, when the keys are
// refused, it also asks the other environment, to tell test keys used against
// production), and reads: GET /portal/v1/me, the partner's price packages,
// the sales units, the MSN's sales unit, and the webhooks of the keys' scope
// ([webhooks.Service.List]). It changes nothing. What answers tells the kind
// of keys ([KeyKind]); a refusal that the contract expects for that kind is
// [CheckNotExpected], not a failure. The MSN checked is the one calls send: [WithMSN]'s, else the
// key set's.
//
// A failed check is in the [Diagnosis] ([Diagnosis.OK], [Diagnosis.Err]),
// not in the error: the error is not nil only for a nil context, a malformed
// WithMSN, a client not built by [New], or when ctx ends before the checks do
// (the Diagnosis then holds what was found so far).
func (c *Client) Diagnose(ctx context.Context) (*Diagnosis, error) {
	if c == nil || c.core == nil {
		return nil, &vipps.UnsupportedError{Operation: "Diagnose", Reason: "the client was not built by portal.New"}
	}
	if err := core.CheckContext(ctx); err != nil {
		return nil, err
	}
	creds, msnFromContext, err := c.core.CallCredentials(ctx)
	if err != nil {
		return nil, err
	}
	g := &diagnoser{c: c, creds: creds, env: c.core.Environment(), msnSetting: EnvMSN}
	if msnFromContext {
		g.msnSetting = "WithMSN"
	}
	flow := creds.Flow
	if flow == "" {
		flow = vipps.StandardAuth
	}
	g.d = &Diagnosis{Environment: string(g.env), BaseURL: c.core.BaseURL(), PortalURL: c.core.PortalURL(),
		Flow: flow, MSN: creds.MSN, KeyKind: UnknownKeys}
	if g.env == "" {
		g.d.Environment = "custom"
	}
	g.settings()
	if g.token(ctx) {
		g.identify(ctx)
		g.salesUnit(ctx)
		g.management(ctx)
		g.portal()
		g.webhooks(ctx)
	} else {
		for _, n := range []CheckName{MSNCheck, ManagementCheck, PortalCheck, WebhooksCheck} {
			g.add(n, CheckSkipped, "", "not tried: no token")
		}
	}
	if err := ctx.Err(); err != nil {
		return g.d, err
	}
	return g.d, nil
}

// diagnoser is one run of Diagnose: the probes' answers and the checks so far.
type diagnoser struct {
	c          *Client
	d          *Diagnosis
	creds      vipps.Credentials
	env        vipps.Environment // "" for a custom base URL
	msnSetting string            // EnvMSN, or "WithMSN" when the context gave the MSN

	me                     *users.Me
	meErr                  error
	packages               []salesunit.PricePackage
	packagesErr            error
	packagesTried, meTried bool
}

func (g *diagnoser) add(name CheckName, status CheckStatus, setting, detail string) {
	g.d.Checks = append(g.d.Checks, Check{Name: name, Status: status, Detail: detail, Setting: setting})
}

// managementServed: Vipps runs no Management API on its test environment.
func (g *diagnoser) managementServed() bool { return g.env != vipps.Test }

// settings looks at the values as given, which no server may show: a stray
// space sent in a header can be dropped on the way (so the keys seem to work
// here) or refused (there).
func (g *diagnoser) settings() {
	found := false
	for _, v := range []struct{ setting, value string }{
		{EnvClientID, g.creds.ClientID},
		{EnvClientSecret, g.creds.ClientSecret.Reveal()},
		{EnvSubscriptionKey, g.creds.SubscriptionKey.Reveal()},
	} {
		if problem := strayCharacters(v.value); problem != "" {
			g.add(SettingsCheck, CheckFailed, v.setting, v.setting+" "+problem)
			found = true
		}
	}
	if !found {
		g.add(SettingsCheck, CheckOK, "", "no stray space or quote around the client id, client secret or subscription key")
	}
}

// strayCharacters describes white space or quotes around v (never v itself).
func strayCharacters(v string) string {
	if v == "" {
		return ""
	}
	first, _ := utf8.DecodeRuneInString(v)
	last, _ := utf8.DecodeLastRuneInString(v)
	const remove = ", a stray character from copying it (seen in the value as given, before any request; a server may drop it from a header or refuse it): remove it"
	switch {
	case unicode.IsSpace(first) && unicode.IsSpace(last):
		return "starts and ends with white space" + remove
	case unicode.IsSpace(first):
		return "starts with white space" + remove
	case unicode.IsSpace(last):
		return "ends with white space" + remove
	case len(v) >= 2 && first == last && (first == '"' || first == '\''):
		return "is wrapped in quotes (kept as part of the value by the tool that set it): remove them"
	}
	return ""
}

// token asks for a token with the client's keys and judges the answer; it
// reports whether one was issued.
func (g *diagnoser) token(ctx context.Context) bool {
	base := g.d.BaseURL
	endpoint := core.TokenEndpoint(g.creds, base)
	_, err := g.c.core.FetchToken(ctx, g.creds, base)
	if err == nil {
		g.add(TokenCheck, CheckOK, "", "a token was issued at "+endpoint)
		if g.creds.Specialized() {
			g.add(SubscriptionKeyCheck, CheckNotExpected, "", "management keys have none (the specialized flow sends no subscription key)")
		} else {
			g.add(SubscriptionKeyCheck, CheckOK, "", "the gateway accepts "+EnvSubscriptionKey)
		}
		return true
	}
	e := apiError(err)
	refused := e != nil && e.StatusCode == http.StatusUnauthorized
	switch {
	case e == nil:
		g.add(TokenCheck, CheckFailed, "", "no token: "+err.Error())
		g.add(SubscriptionKeyCheck, CheckSkipped, "", "not tried")
	case e.StatusCode == 0:
		setting, hint := EnvBaseURL, ": is the server running, and is "+EnvBaseURL+" its address?"
		if g.env != "" {
			setting, hint = "", ": check this machine's network access to "+base+" (a proxy or a firewall)"
		}
		g.add(TokenCheck, CheckFailed, setting, "no answer from "+base+hint+" ("+causeText(e)+")")
		g.add(SubscriptionKeyCheck, CheckSkipped, "", "not tried: no answer")
	case refused && g.otherEnvironmentTakes(ctx, endpoint, e):
	case refused && e.Problem == vipps.ProblemGateway:
		g.add(TokenCheck, CheckSkipped, "", "not tried: the gateway refused the subscription key before the client id and secret could be checked")
		g.add(SubscriptionKeyCheck, CheckFailed, EnvSubscriptionKey, "the gateway at "+base+" refused "+EnvSubscriptionKey+
			" (401): it is not a live subscription key there (a typo, a key regenerated since, or a key of the other environment)")
	case refused && e.Problem == "invalid_client" && g.creds.Specialized():
		g.add(TokenCheck, CheckFailed, EnvClientSecret, endpoint+" refused these as management keys (401 invalid_client): "+
			EnvClientSecret+" is wrong or was regenerated, or these are not a partner's management keys (keys that came with a subscription key use the standard flow: unset "+EnvTokenFlow+")")
		g.add(SubscriptionKeyCheck, CheckNotExpected, "", "management keys have none (the specialized flow sends no subscription key)")
	case refused && e.Problem == "invalid_client":
		g.add(TokenCheck, CheckFailed, EnvClientSecret, endpoint+" refused the client id and secret (401 invalid_client): "+
			EnvClientSecret+" is wrong or was regenerated, or "+EnvClientID+" belongs to another key set")
		g.add(SubscriptionKeyCheck, CheckOK, "", "the gateway accepts "+EnvSubscriptionKey+" (it let the token request through to the client id and secret)")
	case e.StatusCode >= 300 && e.StatusCode < 400:
		g.add(TokenCheck, CheckFailed, g.baseSetting(), fmt.Sprintf("%s answered a redirect (%d) to %s, which the SDK never follows: give the address that answers itself", endpoint, e.StatusCode, orNone(e.RedirectHost)))
		g.add(SubscriptionKeyCheck, CheckSkipped, "", "not tried")
	case e.StatusCode == http.StatusNotFound || e.StatusCode == http.StatusMethodNotAllowed:
		g.add(TokenCheck, CheckFailed, g.baseSetting(), fmt.Sprintf("%s has no token endpoint (%d at %s): give the API's host root, with no path", base, e.StatusCode, endpoint))
		g.add(SubscriptionKeyCheck, CheckSkipped, "", "not tried")
	default:
		g.add(TokenCheck, CheckFailed, "", "no token: "+err.Error())
		g.add(SubscriptionKeyCheck, CheckSkipped, "", "not tried")
	}
	return false
}

// baseSetting is the setting that chose the base URL.
func (g *diagnoser) baseSetting() string {
	if g.env == "" {
		return EnvBaseURL
	}
	return EnvEnvironment
}

// otherEnvironmentTakes asks the other Vipps environment for a token with keys
// this one refused: test keys used against production (or the reverse) are
// refused there and work here. It adds the checks and reports true when so.
func (g *diagnoser) otherEnvironmentTakes(ctx context.Context, endpoint string, refusal *vipps.Error) bool {
	other := vipps.Test
	switch g.env {
	case vipps.Test:
		other = vipps.Production
	case vipps.Production:
	default:
		return false
	}
	otherEndpoint := core.TokenEndpoint(g.creds, other.BaseURL())
	if _, err := g.c.core.FetchToken(ctx, g.creds, other.BaseURL()); err != nil {
		return false
	}
	g.add(TokenCheck, CheckFailed, EnvEnvironment, fmt.Sprintf("these are %s keys: %s refuses them (%d %s) and %s issues them a token. Set %s=%s, or use the %s keys from portal.vippsmobilepay.com",
		other, endpoint, refusal.StatusCode, refusal.Problem, otherEndpoint, EnvEnvironment, other, g.env))
	g.add(SubscriptionKeyCheck, CheckSkipped, "", fmt.Sprintf("judged in the %s environment, whose gateway accepts it", other))
	return true
}

// identify infers the kind of keys from what answers (the principals table):
// /portal/v1/me answers only portal users, the price packages only partners.
func (g *diagnoser) identify(ctx context.Context) {
	if g.managementServed() {
		g.packages, g.packagesErr = g.c.ProductOrders.PricePackages(ctx)
		g.packagesTried = true
	}
	if g.creds.Specialized() {
		g.d.KeyKind = ManagementKeys
		g.d.KeyKindReason = "the specialized token flow (" + EnvTokenFlow + "=specialized) is for a partner's management keys"
		return
	}
	if g.d.PortalURL != "" {
		g.me, g.meErr = g.c.Users.Me(ctx)
		g.meTried = true
	}
	notUser := hasProblem(g.meErr, http.StatusForbidden, vipps.ProblemNotAPortalUser)
	notPartner := statusOf(g.packagesErr) == http.StatusForbidden
	partner := g.packagesTried && g.packagesErr == nil
	switch {
	case g.me != nil:
		g.d.KeyKind, g.d.Role = UserKeys, g.me.Role
		g.d.KeyKindReason = fmt.Sprintf("GET /portal/v1/me answers: %s, %s of %s", g.me.Name, g.me.Role, g.me.Merchant.Name)
	case partner:
		g.d.KeyKind = PartnerKeys
		g.d.KeyKindReason = "the partner's price packages answer (GET /management/v1/partners/price-packages)"
	case notUser && notPartner:
		g.d.KeyKind = UnitKeys
		g.d.KeyKindReason = "GET /portal/v1/me answers 403 not-a-portal-user and the price packages 403: neither a portal user nor a partner"
	case notPartner:
		g.d.KeyKindReason = "a sales unit's own keys or a portal user's API client (the price packages answer 403: not a partner); set " + EnvPortalURL + " to tell which"
	case notUser:
		g.d.KeyKindReason = "a sales unit's or a partner's keys (GET /portal/v1/me answers 403 not-a-portal-user); the test environment has no Management API to tell which"
	default:
		g.d.KeyKindReason = "neither GET /portal/v1/me nor the price packages told"
	}
}

// salesUnit checks that the MSN the client sends is a unit its keys reach.
func (g *diagnoser) salesUnit(ctx context.Context) {
	msn := g.d.MSN
	if msn == "" {
		detail := "no MSN is set (" + EnvMSN + "), so none was looked up"
		if g.d.KeyKind == UnitKeys {
			detail += ": a sales unit's keys act for their own unit; set " + EnvMSN + " to check it"
		}
		g.add(MSNCheck, CheckSkipped, "", detail)
		return
	}
	if !g.managementServed() {
		if g.me != nil {
			g.testUnit(ctx, msn, "the test environment has no Management API")
			return
		}
		g.add(MSNCheck, CheckSkipped, "", "the test environment has no Management API to look "+msn+" up in")
		return
	}
	u, err := g.c.SalesUnits.Get(ctx, msn)
	e := apiError(err)
	switch {
	case err == nil:
		g.add(MSNCheck, CheckOK, "", fmt.Sprintf("%s (%s) answers in the Management API", u.MSN, u.Name))
	case hasProblem(err, http.StatusForbidden, vipps.ProblemForbidden) && (g.d.KeyKind == UnitKeys || g.d.KeyKind == UnknownKeys):
		// Only a test unit's own keys get 403 on their own unit there.
		g.d.KeyKind = UnitKeys
		g.add(MSNCheck, CheckFailed, EnvEnvironment, fmt.Sprintf("these are test keys: %s is a test sales unit, and the Management API (production units only) refuses its own keys on it (403 forbidden). "+
			"Use them with Vipps' test environment (%s=test, without %s), or use a production sales unit's keys", msn, EnvEnvironment, EnvBaseURL))
	case e != nil && e.StatusCode == http.StatusNotFound && g.me != nil:
		g.testUnit(ctx, msn, "the Management API serves production units only")
	case e != nil && (e.StatusCode == http.StatusNotFound || e.StatusCode == http.StatusForbidden):
		g.add(MSNCheck, CheckFailed, g.msnSetting, fmt.Sprintf("%s is not a sales unit these keys reach (%d in the Management API): %s", msn, e.StatusCode, reachOf(g.d.KeyKind)))
	default:
		g.add(MSNCheck, CheckFailed, "", "GET /management/v1/sales-units/"+msn+": "+err.Error())
	}
}

// testUnit looks msn up among the portal's test units (a portal user's keys).
func (g *diagnoser) testUnit(ctx context.Context, msn, why string) {
	u, err := g.c.TestUnits.Get(ctx, msn)
	switch {
	case err == nil:
		g.add(MSNCheck, CheckOK, "", fmt.Sprintf("%s (%s) is a test sales unit, served by the portal (%s)", u.MSN, u.Name, why))
	case statusOf(err) == http.StatusNotFound:
		g.add(MSNCheck, CheckFailed, g.msnSetting, fmt.Sprintf("%s is not a sales unit these keys reach (404 in the Management API and among the test units): %s", msn, reachOf(g.d.KeyKind)))
	default:
		g.add(MSNCheck, CheckFailed, "", "GET /portal/v1/test-sales-units/"+msn+": "+err.Error())
	}
}

// reachOf says which sales units a kind of keys reaches.
func reachOf(k KeyKind) string {
	switch k {
	case UnitKeys:
		return "a sales unit's keys reach the units of their own merchant"
	case UserKeys:
		return "a portal user reaches the units it holds a permission on (an ADMINISTRATOR, all of its merchant's)"
	case PartnerKeys, ManagementKeys:
		return "a partner reaches the units connected to it"
	}
	return "check the MSN"
}

// management reports what the Management API serves these keys.
func (g *diagnoser) management(ctx context.Context) {
	if !g.managementServed() {
		g.add(ManagementCheck, CheckSkipped, "", "Vipps runs no Management API on the test environment (it is production-only)")
		return
	}
	units, err := g.c.SalesUnits.List(ctx)
	if err != nil {
		g.add(ManagementCheck, CheckFailed, "", "GET /management/v1/sales-units: "+err.Error())
		return
	}
	detail := fmt.Sprintf("reaches %d sales unit(s)%s", len(units), unitList(units))
	switch {
	case g.packagesErr == nil:
		detail += fmt.Sprintf(", and as a partner %d price package(s) and product orders", len(g.packages))
	case statusOf(g.packagesErr) == http.StatusForbidden:
		detail += "; price packages and product orders are for partners (403)"
	default:
		g.add(ManagementCheck, CheckFailed, "", "GET /management/v1/partners/price-packages: "+g.packagesErr.Error())
		return
	}
	g.add(ManagementCheck, CheckOK, "", detail)
}

// unitList names up to five units.
func unitList(units []salesunit.MSNInfo) string {
	if len(units) == 0 {
		return ""
	}
	var names []string
	for i, u := range units {
		if i == 5 {
			names = append(names, fmt.Sprintf("and %d more", len(units)-5))
			break
		}
		names = append(names, u.MSN+" "+u.Name)
	}
	return " (" + strings.Join(names, ", ") + ")"
}

// portal reports whether portal operations serve these keys (from the
// /portal/v1/me answer that identify read).
func (g *diagnoser) portal() {
	switch {
	case g.d.KeyKind == ManagementKeys:
		g.add(PortalCheck, CheckNotExpected, "", "management keys reach the Management API only: portal operations need a portal user's API client")
	case !g.meTried:
		g.add(PortalCheck, CheckSkipped, "", "no portal URL is set ("+EnvPortalURL+"): portal operations (test units, keys, users) are off")
	case g.me != nil:
		reach := "test units, the keys of units where it holds DEVELOPER, and itself"
		if g.me.Role == users.RoleAdministrator {
			reach = "test units, the keys of every unit of its merchant, and its users"
		}
		g.add(PortalCheck, CheckOK, "", fmt.Sprintf("a portal user, %s (%s) of %s: %s", g.me.Name, g.me.Role, g.me.Merchant.Name, reach))
	case hasProblem(g.meErr, http.StatusForbidden, vipps.ProblemNotAPortalUser):
		g.add(PortalCheck, CheckNotExpected, "", "these keys, "+g.d.KeyKind.Description()+", are not a portal user's (403 not-a-portal-user): portal operations (test units, keys, users) need a portal user's API client")
	default:
		setting := ""
		if s := statusOf(g.meErr); s == 0 || s == http.StatusNotFound {
			setting = EnvPortalURL
		}
		g.add(PortalCheck, CheckFailed, setting, "GET /portal/v1/me: "+g.meErr.Error())
	}
}

// webhooks lists the registrations of the keys' scope in the Webhooks API
// (it lives on the base URL in both Vipps environments).
func (g *diagnoser) webhooks(ctx context.Context) {
	list, err := g.c.Webhooks.List(ctx)
	e := apiError(err)
	notExpected := g.d.KeyKind == UserKeys || g.d.KeyKind == ManagementKeys
	switch {
	case err == nil:
		scope := "partner-wide"
		if g.d.MSN != "" {
			scope = "of sales unit " + g.d.MSN
		}
		g.add(WebhooksCheck, CheckOK, "", fmt.Sprintf("the Webhooks API answers: %d registration(s) %s", len(list), scope))
	case notExpected && (errors.Is(err, vipps.ErrUnsupported) || (e != nil && e.StatusCode == http.StatusForbidden)):
		g.add(WebhooksCheck, CheckNotExpected, "", "these keys, "+g.d.KeyKind.Description()+", are refused by the Webhooks API (403): it takes a sales unit's or a partner's keys")
	case e != nil && e.StatusCode == http.StatusNotFound:
		g.add(WebhooksCheck, CheckSkipped, "", g.d.BaseURL+" serves no Webhooks API (404 at /webhooks/v1/webhooks)")
	case e != nil && e.StatusCode == http.StatusForbidden && g.d.MSN != "":
		g.add(WebhooksCheck, CheckFailed, g.msnSetting, "the Webhooks API refused these keys for sales unit "+g.d.MSN+" ("+e.Error()+"): "+reachOf(g.d.KeyKind))
	default:
		g.add(WebhooksCheck, CheckFailed, "", err.Error())
	}
}

func apiError(err error) *vipps.Error {
	var e *vipps.Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// statusOf is the HTTP status of err's answer; 0 for none.
func statusOf(err error) int {
	if e := apiError(err); e != nil {
		return e.StatusCode
	}
	return 0
}

func hasProblem(err error, status int, problem string) bool {
	e := apiError(err)
	return e != nil && e.StatusCode == status && e.Problem == problem
}

// causeText is why no answer came, without the request line around it.
func causeText(err error) string {
	if e := apiError(err); e != nil && e.Err != nil {
		err = e.Err
	}
	return err.Error()
}
