package portaltest

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/vippsportal/sdk/vipps"
)

func (s *sim) managementToken(m vipps.Credentials) string {
	s.t.Helper()
	r := s.raw("POST", "/miami/v1/token", "grant_type=client_credentials", map[string]string{
		"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(m.ClientID+":"+m.ClientSecret.Reveal())),
		"Content-Type":  "application/x-www-form-urlencoded"})
	expect(s.t, r, 200, "")
	return r.json()["access_token"].(string)
}

// The default seed's partner has management keys, distinct from every other
// client id, and they appear in the resolved seed and the state.
func TestSimDefaultPartnerHasManagementKeys(t *testing.T) {
	s := newSim(t)
	m := s.ManagementCredentials(PartnerID)
	if !reUUID.MatchString(m.ClientID) || m.ClientSecret == "" {
		t.Fatalf("management keys %q", m.ClientID)
	}
	if m.ClientID == s.partner().ClientID {
		t.Fatal("the management keys are the API client")
	}
	rp := s.ResolvedSeed().Partners[0]
	if rp.ManagementKeys == nil || rp.ManagementKeys.ClientID != m.ClientID || rp.ManagementKeys.ClientSecret != m.ClientSecret.Reveal() || m.Flow != vipps.SpecializedAuth || m.SubscriptionKey != "" {
		t.Fatalf("resolved seed: %+v", rp.ManagementKeys)
	}
	if got := s.State().Partners[0].ManagementKeys; got != m {
		t.Fatal("state lacks the management keys")
	}
	if (s.ManagementCredentials("nobody") != vipps.Credentials{}) {
		t.Fatal("unknown partner has keys")
	}
	// The printed seed loads again and serves the same keys.
	data, err := json.Marshal(s.ResolvedSeed())
	if err != nil {
		t.Fatal(err)
	}
	seed, err := LoadSeed(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	again := newSim(t, WithSeed(seed), WithRandSeed(99))
	if again.ManagementCredentials(PartnerID) != m {
		t.Fatal("given management keys not kept")
	}
	again.managementToken(m)
}

func TestSimSeedManagementKeys(t *testing.T) {
	given := `{"merchants":[{"businessIdentifier":{"scheme":"business:NO:ORG","id":"987654325"},"name":"A","countryCode":"NO",
	 "salesUnits":[{"msn":"123456","name":"Web"}]}],
	 "partners":[{"partnerId":"p","name":"P","connectedSalesUnits":["123456"],
	   "managementKeys":{"clientId":"0b7c9a52-3c1e-4f7a-9d2b-5e8f1a6c4d3e","clientSecret":"mgmt-secret"}},
	  {"partnerId":"q","name":"Q","managementKeys":{"clientSecret":"only-secret"}}]}`
	seed, err := LoadSeed(strings.NewReader(given))
	if err != nil {
		t.Fatal(err)
	}
	s := newSim(t, WithSeed(seed))
	if got := s.ManagementCredentials("p"); got.ClientID != "0b7c9a52-3c1e-4f7a-9d2b-5e8f1a6c4d3e" || got.ClientSecret != "mgmt-secret" {
		t.Fatalf("given keys: %+v", got.ClientID)
	}
	if got := s.ManagementCredentials("q"); !reUUID.MatchString(got.ClientID) || got.ClientSecret != "only-secret" {
		t.Fatalf("half-given keys: %q", got.ClientID)
	}
	tok := s.managementToken(s.ManagementCredentials("p"))
	r := s.raw("GET", "/management/v1/sales-units", nil, map[string]string{"Authorization": "Bearer " + tok})
	expect(t, r, 200, "")
	if !strings.Contains(string(r.body), "123456") {
		t.Fatalf("connected unit not reached: %s", r.body)
	}

	cases := map[string]string{
		// a management client id that duplicates another client id
		`"partners":[{"partnerId":"p","name":"P","apiClient":{"clientId":"0b7c9a52-3c1e-4f7a-9d2b-5e8f1a6c4d3e"},"managementKeys":{"clientId":"0b7c9a52-3c1e-4f7a-9d2b-5e8f1a6c4d3e"}}]`:                                   "partners[0].managementKeys.clientId: duplicates partners[0].apiClient.clientId",
		`"partners":[{"partnerId":"p","name":"P","managementKeys":{"clientId":"0b7c9a52-3c1e-4f7a-9d2b-5e8f1a6c4d3e"}},{"partnerId":"q","name":"Q","managementKeys":{"clientId":"0b7c9a52-3c1e-4f7a-9d2b-5e8f1a6c4d3e"}}]`: "partners[1].managementKeys.clientId: duplicates partners[0].managementKeys.clientId",
		`"partners":[{"partnerId":"p","name":"P","managementKeys":{"clientId":"nope"}}]`:                                                                                                                                   "partners[0].managementKeys.clientId: must match",
		`"partners":[{"partnerId":"p","name":"P","managementKeys":{"subscriptionKey":"0123456789abcdef0123456789abcdef"}}]`:                                                                                                "partners[0].managementKeys.subscriptionKey: unknown field",
	}
	for partners, want := range cases {
		_, err := LoadSeed(strings.NewReader(`{"merchants":[{"businessIdentifier":{"scheme":"business:NO:ORG","id":"987654325"},"name":"A","countryCode":"NO"}],` + partners + `}`))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s\n got %v\nwant %q", partners, err, want)
		}
	}
}

// The SDK, holding the management keys through ManagementClient, reaches the
// Management API with one fetchToken and no subscription key, and is refused
// portal calls without a request.
func TestSimManagementClientEndToEnd(t *testing.T) {
	s := newSim(t)
	c, err := s.ManagementClient(PartnerID)
	if err != nil {
		t.Fatal(err)
	}
	units, err := c.SalesUnits.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, u := range units {
		got[u.MSN] = true
	}
	if len(got) != 2 || !got[ProductionMSN] || !got[OtherMSN] {
		t.Fatalf("units %v, want the partner's connected units", got)
	}
	if _, err := c.ProductOrders.PricePackages(t.Context()); err != nil {
		t.Fatal(err)
	}
	before := len(s.Requests())
	if _, err := c.Users.Me(t.Context()); !errors.Is(err, vipps.ErrUnsupported) {
		t.Fatalf("portal call: %v", err)
	}
	if len(s.Requests()) != before {
		t.Fatal("the portal call was sent")
	}
	if n := len(s.RequestsOf(OpFetchToken)); n != 1 {
		t.Fatalf("%d fetchToken requests", n)
	}
	lists := s.RequestsOf(OpGetAllSalesUnits)
	if len(lists) == 0 {
		t.Fatal("no getAllSalesUnits request logged")
	}
	for _, lr := range lists {
		if lr.Header.Get("Ocp-Apim-Subscription-Key") != "" {
			t.Fatal("a subscription key was sent")
		}
	}
	if _, err := s.ManagementClient("nobody"); err == nil {
		t.Fatal("unknown partner accepted")
	}
}
