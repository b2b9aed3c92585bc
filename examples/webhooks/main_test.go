package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/examples/internal/exampletest"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/webhooks"
)

func TestMain(m *testing.M) { exampletest.Main(m) }

var (
	registeredLine = regexp.MustCompile(`^Registered webhook (\S+) for `)
	rotatedLine    = regexp.MustCompile(`^Rotated: (\S+) replaced (\S+), which is deleted`)
	receivedLine   = regexp.MustCompile(`(?m)^Received and verified (\S+): payment (webhooks-example-\w+) of sales unit 123456 (\w+), 350\.00 NOK`)
)

// bystander is a registration of the unit that the example did not make and
// must leave alone.
const bystander = "https://hooks.example.com/someone-else"

// ours returns the ids of the registrations that are not the bystander's.
func ours(s *portaltest.Server) []string {
	var ids []string
	for _, w := range s.State().Webhooks {
		if w.URL != bystander {
			ids = append(ids, w.ID)
		}
	}
	return ids
}

// onSim runs the program on the embedded simulator, where a bystander's
// registration exists, with a Wire under the program's client. on sees each
// line of stdout as it is printed, with the simulator.
func onSim(t *testing.T, ctx context.Context, on func(s *portaltest.Server, line string), args ...string) (code int, stdout, stderr string, s *portaltest.Server, wire *exampletest.Wire) {
	t.Helper()
	exampletest.Clear(t)
	wire = exampletest.NewWire()
	t.Cleanup(wire.Close)
	rec := &exampletest.Recorder{ClientExtra: []portal.Option{portal.WithHTTPClient(wire.Client())}}
	rec.OnStart = func(s *portaltest.Server) {
		c, err := s.Client(s.UnitCredentials(portaltest.ProductionMSN))
		require.NoError(t, err)
		defer c.Close()
		_, err = c.Webhooks.Register(t.Context(), webhooks.Registration{URL: bystander, Events: []webhooks.EventName{webhooks.EPaymentCaptured}})
		require.NoError(t, err)
		wire.AddState(s.State())
	}
	out := &exampletest.Lines{On: func(line string) {
		if on != nil {
			on(rec.Server, line)
		}
	}}
	var errOut bytes.Buffer
	// -timeout bounds a broken run (a notification refused); a good one waits for none.
	code = run(ctx, append([]string{"-timeout", "10s"}, args...), out, &errOut, rec)
	t.Log("\n" + out.String() + errOut.String())
	require.NotNil(t, rec.Server)
	return code, out.String(), errOut.String(), rec.Server, wire
}

// TestRun: on the embedded simulator the receiver gets the first
// notification verified and typed, the rotation replaces the registration
// (both live only during the switch), the second notification reaches the
// new registration and verifies with its secret alone, and at the end no
// registration of the run is left, the bystander's is untouched, and nothing
// printed holds a secret of the run.
func TestRun(t *testing.T) {
	var registered, rotatedFrom, rotatedTo string
	var duringSwitch []string
	code, stdout, stderr, s, wire := onSim(t, t.Context(), func(s *portaltest.Server, line string) {
		if m := registeredLine.FindStringSubmatch(line); m != nil {
			registered = m[1]
			assert.Equal(t, []string{m[1]}, ours(s), "one registration of the run")
		}
		if strings.HasPrefix(line, "  new registration ") {
			duringSwitch = ours(s)
		}
		if m := rotatedLine.FindStringSubmatch(line); m != nil {
			rotatedTo, rotatedFrom = m[1], m[2]
			assert.Equal(t, []string{m[1]}, ours(s), "after the rotation, one registration again: the new one")
		}
	})
	require.Equal(t, 0, code, stderr)
	assert.Empty(t, stderr, "no notification was refused")
	assert.True(t, strings.HasPrefix(stdout, "No VIPPS_* variable set: using the embedded simulator at "+s.URL+".\n"), "the examples' first line")

	got := receivedLine.FindAllStringSubmatch(stdout, -1)
	require.Len(t, got, 2, "two notifications received and verified")
	assert.Equal(t, []string{string(webhooks.EPaymentAuthorized), "AUTHORIZED"}, []string{got[0][1], got[0][3]})
	assert.Equal(t, []string{string(webhooks.EPaymentCaptured), "CAPTURED"}, []string{got[1][1], got[1][3]})
	assert.Equal(t, got[0][2], got[1][2], "about the one payment")

	require.NotEmpty(t, registered)
	assert.Equal(t, registered, rotatedFrom)
	assert.NotEqual(t, registered, rotatedTo)
	assert.ElementsMatch(t, []string{registered, rotatedTo}, duringSwitch, "both live during the switch")
	assert.Empty(t, ours(s), "no registration of the run is left")
	require.Len(t, s.State().Webhooks, 1)
	assert.Equal(t, bystander, s.State().Webhooks[0].URL, "the bystander's registration is untouched")

	// Each notification was delivered once, with a 200: the first to the
	// registration, the second to its twin alone, whose secret was then the
	// receiver's only one.
	var deliveries []portaltest.Delivery
	for _, d := range s.Deliveries() {
		if d.URL != bystander {
			deliveries = append(deliveries, d)
		}
	}
	require.Len(t, deliveries, 2)
	assert.Equal(t, registered, deliveries[0].WebhookID)
	assert.Equal(t, rotatedTo, deliveries[1].WebhookID)
	for _, d := range deliveries {
		assert.True(t, d.Delivered(), "%s: %d %s", d.Event, d.Status, d.Err)
	}

	assert.Equal(t, 2, wire.Answers("secret"), "both webhook secrets crossed the wire")
	assert.Positive(t, wire.Answers("access_token"))
	wire.NotIn(t, stdout+stderr)
}

// TestRunAsPartner: with -msn the example acts as the unit's partner, for
// that unit, and leaves nothing behind either.
func TestRunAsPartner(t *testing.T) {
	code, stdout, stderr, s, _ := onSim(t, t.Context(), nil, "-msn", portaltest.ProductionMSN)
	require.Equal(t, 0, code, stderr)
	assert.Len(t, receivedLine.FindAllString(stdout, -1), 2)
	reqs := programs(s, portaltest.OpRegisterWebhook)
	require.Len(t, reqs, 2, "the registration and its twin")
	for _, r := range reqs {
		assert.Equal(t, portaltest.ProductionMSN, r.Header.Get("Merchant-Serial-Number"), "for the unit")
	}
	tokens := programs(s, portaltest.OpFetchAuthorizationTokenUsingPost)
	require.NotEmpty(t, tokens)
	for _, r := range tokens {
		assert.Equal(t, s.PartnerCredentials(portaltest.PartnerID).ClientID, r.Header.Get("client_id"), "as the partner")
	}
	assert.Empty(t, ours(s))
}

// programs are the requests of operation op the program sent (the
// bystander's client sends no Vipps-System-Name).
func programs(s *portaltest.Server, op string) []portaltest.LoggedRequest {
	var out []portaltest.LoggedRequest
	for _, r := range s.RequestsOf(op) {
		if r.Header.Get("Vipps-System-Name") == "webhooks" {
			out = append(out, r)
		}
	}
	return out
}

// TestHelp: -h and -help print the usage, saying that -trigger needs a
// simulator, and exit 0 without running anything.
func TestHelp(t *testing.T) {
	exampletest.Help(t, run, "webhooks", "-msn string", "-url string", "-listen string", "-trigger", "-timeout duration")
	code, stdout, _ := exampletest.Run(t, run, &exampletest.Recorder{}, "-h")
	require.Equal(t, 0, code)
	assert.Contains(t, stdout, "only a simulator can")
}

// TestBadFlags: a -url that is no http(s) URL, a zero -timeout and a stray
// argument exit 2 before anything is started.
func TestBadFlags(t *testing.T) {
	exampletest.BadFlags(t, run, map[string]string{
		"-url hooks.example.com/vipps": `webhooks: -url must be an absolute https URL, got "hooks.example.com/vipps"`,
		"-timeout 0s":                  "webhooks: -timeout must be positive, got 0s",
		"now":                          `webhooks: unexpected argument "now"`,
	})
}

// TestRefusesHalfConfigured: a client id alone is refused, naming what is
// missing, and no simulator runs in its place.
func TestRefusesHalfConfigured(t *testing.T) {
	exampletest.Refuses(t, run, "webhooks", map[string]string{portal.EnvClientID: "unit-client"},
		"VIPPS_CLIENT_SECRET, VIPPS_SUBSCRIPTION_KEY not set")
}
