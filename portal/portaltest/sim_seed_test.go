package portaltest

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

const goodSeed = `{"merchants":[{"businessIdentifier":{"scheme":"business:NO:ORG","id":"987654325"},"name":"A","countryCode":"NO",
 "salesUnits":[{"msn":"123456","name":"Web"},{"msn":"223344","name":"T","environment":"test","options":{"recurring":true}}],
 "users":[{"userId":"u","name":"U","phoneNumber":"+4791234567","role":"ADMINISTRATOR","salesUnits":[{"msn":"123456","permissions":["DEVELOPER"]}]}]}],
 "partners":[{"partnerId":"p","name":"P","connectedSalesUnits":["123456"]}]}`

func TestSimLoadSeedErrors(t *testing.T) {
	cases := []struct{ seed, want string }{
		{`{"merchants":[{"businessIdentifier":{"scheme":"business:NO:ORG","id":"987654325"},"name":"A","countryCode":"NO","salesUnits":[{"msn":"123456","name":"x"},{"msn":"12","name":"x"}]}]}`,
			`merchants[0].salesUnits[1].msn: must match ^\d{4,10}$`},
		{`{"merchants":[],"extra":1}`, "extra: unknown field"},
		{`{"merchants":[{"businessIdentifier":{"scheme":"business:NO:ORG","id":"987654325"},"name":"A","countryCode":"NO","salesUnits":[{"msn":"1234","name":"x","colour":"red"}]}]}`,
			"merchants[0].salesUnits[0].colour: unknown field"},
		{`{"merchants":[{"businessIdentifier":{"scheme":"business:NO:ORG","id":"987654325"},"name":"A","countryCode":"NO","salesUnits":[{"msn":"1234","name":"x"},{"msn":"1234","name":"y"}]}]}`,
			"merchants[0].salesUnits[1].msn: duplicates"},
		{`{"merchants":[{"businessIdentifier":{"scheme":"business:NO:ORG","id":"987654325"},"name":"A","countryCode":"NO","salesUnits":[{"msn":"1234","name":"x","options":{}}]}]}`,
			"merchants[0].salesUnits[0].options: only test units"},
		{`{"merchants":[{"businessIdentifier":{"scheme":"business:NO:ORG","id":"987654325"},"name":"A","countryCode":"NO","users":[{"userId":"a","name":"A","phoneNumber":"+4791234567","role":"ADMINISTRATOR"},{"userId":"b","name":"B","phoneNumber":"+4791234567","role":"ASSISTANT"}]}]}`,
			"merchants[0].users[1].phoneNumber: duplicates"},
		{`{"merchants":[{"businessIdentifier":{"scheme":"business:NO:ORG","id":"987654325"},"name":"A","countryCode":"NO","users":[{"userId":"a","name":"A","phoneNumber":"+4791234567","role":"BOSS"}]}]}`,
			"merchants[0].users[0].role: must be one of"},
		{`{"merchants":[{"businessIdentifier":{"scheme":"business:NO:ORG","id":"987654325"},"name":"A","countryCode":"NO","users":[{"userId":"a","name":"A","phoneNumber":"+4791234567","role":"ASSISTANT","salesUnits":[{"msn":"9999","permissions":["DEVELOPER"]}]}]}]}`,
			"merchants[0].users[0].salesUnits[0].msn: not a sales unit of this merchant"},
		{`{"merchants":[{"businessIdentifier":{"scheme":"business:NO:ORG","id":"987654325"},"name":"A","countryCode":"NO","salesUnits":[{"msn":"1234","name":"x","keys":{"subscriptionKeyPrimary":"0123456789abcdef0123456789abcdef"}},{"msn":"1235","name":"y","keys":{"subscriptionKeySecondary":"0123456789abcdef0123456789abcdef"}}]}]}`,
			"merchants[0].salesUnits[1].keys.subscriptionKeySecondary: duplicates"},
		{`{"merchants":[{"businessIdentifier":{"scheme":"business:NO:ORG","id":"987654325"},"name":"A","countryCode":"NO"}],"partners":[{"partnerId":"p","name":"P","connectedSalesUnits":["4444"]}]}`,
			"partners[0].connectedSalesUnits[0]: unknown sales unit"},
		{`{"merchants":[{"businessIdentifier":{"scheme":"business:NO:ORG","id":"987654325"},"name":1,"countryCode":"NO"}]}`,
			"merchants[0].name: must be a string"},
		{`{"merchants":[{"businessIdentifier":{"scheme":"business:NO:ORG","id":"987654325"},"countryCode":"NO"}]}`,
			"merchants[0].name: is required"},
		{`{"merchants":[{"businessIdentifier":{"scheme":"business:NO:ORG","id":"987654325"},"name":"A ","countryCode":"NO"}]}`,
			"merchants[0].name: must not start or end with space"},
		{`{"merchants":[`, "not valid JSON"},
	}
	for _, c := range cases {
		_, err := LoadSeed(strings.NewReader(c.seed))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("seed %s\n got %v\nwant %q", c.seed, err, c.want)
		}
	}
}

func TestSimSeedResolvesAndRoundTrips(t *testing.T) {
	seed, err := LoadSeed(strings.NewReader(goodSeed))
	if err != nil {
		t.Fatal(err)
	}
	s := newSim(t, WithSeed(seed))
	res := s.ResolvedSeed()
	u := res.Merchants[0].Users[0]
	if u.Status != "ACTIVE" || u.APIClient == nil || !reSubKey.MatchString(u.APIClient.SubscriptionKey) || !reUUID.MatchString(u.APIClient.ClientID) {
		t.Fatalf("user not resolved: %+v", u)
	}
	if *res.Merchants[0].CreatedAt != t0 {
		t.Fatal("omitted time is not the load time")
	}
	data, _ := json.Marshal(res)
	again, err := LoadSeed(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("resolved seed does not load: %v", err)
	}
	s2 := newSim(t, WithSeed(again))
	if !equalJSON(s.State(), s2.State()) {
		t.Fatal("resolved seed does not reproduce the state")
	}
	// A test unit's options become its configuration.
	tu := s.call(s.UserCredentials("u"), "GET", "/portal/v1/test-sales-units/223344", nil).json()
	cfg := tu["configuration"].(map[string]any)
	if cfg["recurringAllowed"] != true || cfg["captureType"] != "ReserveCapture" || cfg["paymentAllowed"] != true {
		t.Fatalf("configuration %v", cfg)
	}
}

func TestSimDefaultSeedValid(t *testing.T) {
	d := DefaultSeed()
	data, _ := json.Marshal(d)
	if _, err := LoadSeed(bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	s := newSim(t)
	st := s.State()
	if len(st.SalesUnits) != 4 || len(st.Users) != 4 || len(st.Partners) != 1 {
		t.Fatalf("state %+v", st)
	}
	if !equalJSON(st, s.State()) {
		t.Fatal("State is not stable")
	}
}
