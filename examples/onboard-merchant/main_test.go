package main

import (
	"bytes"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/examples/internal/exampleenv"
	"github.com/vippsportal/sdk/examples/internal/exampletest"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
)

func TestMain(m *testing.M) { exampletest.Main(m) }

var prefilledLine = regexp.MustCompile(`prefilled order (\S+); `)

// merchant is the program's stdout, and the merchant reading it: when the
// program prints the order it prefilled, the merchant moves that order to
// status on the simulator, before the program's first poll. So the tests
// drive the order on demand instead of waiting for it.
type merchant struct {
	sim    *exampletest.Recorder
	status string // "" leaves the order as it is
	order  string
	bytes.Buffer
}

func (m *merchant) Write(p []byte) (int, error) {
	if g := prefilledLine.FindSubmatch(p); g != nil && m.status != "" {
		m.order = string(g[1])
		if err := m.sim.Server.SetOrderStatus(m.order, m.status); err != nil {
			return 0, err
		}
	}
	return m.Buffer.Write(p)
}

// onSim runs the program with no VIPPS_* variable set and orders that do not
// move by themselves (-order-step 0); the merchant moves it to status.
func onSim(t *testing.T, status string, args ...string) (code int, out *merchant, stderr string, sim *exampletest.Recorder) {
	exampletest.Clear(t)
	sim = &exampletest.Recorder{}
	out = &merchant{sim: sim, status: status}
	var errBuf bytes.Buffer
	code = run(t.Context(), append([]string{"-order-step", "0"}, args...), out, &errBuf, sim)
	t.Log("\n" + out.String() + errBuf.String())
	return code, out, errBuf.String(), sim
}

// TestRun: the merchant completes the order; the program picks the partner's
// price package for the product, exits 0 and names the new sales unit, which
// the simulator holds, connected to the partner.
func TestRun(t *testing.T) {
	code, out, stderr, sim := onSim(t, "COMPLETED", "-product", "PAYMENT_INTEGRATION", "-name", "Onboarded shop")
	require.Equal(t, 0, code, stderr)
	assert.Empty(t, stderr)
	text := out.String()
	assert.Contains(t, text, "price package "+portaltest.PricePackageID+` "POS standard" (PAYMENT_INTEGRATION)`)
	assert.NotContains(t, text, "no price package")
	assert.Contains(t, text, "  poll 1: order COMPLETED\n")
	m := regexp.MustCompile(`(?m)^order COMPLETED: new sales unit (\d+) "Onboarded shop"$`).FindStringSubmatch(text)
	require.NotNil(t, m, text)

	s := sim.Server
	assert.Equal(t, 1, s.Effects("orderProduct"))
	st := s.State()
	require.Len(t, st.ProductOrders, 1)
	o := st.ProductOrders[0]
	assert.Equal(t, out.order, o.ProductOrderID)
	assert.Equal(t, portaltest.DefaultMerchantID, o.MerchantID)
	assert.Equal(t, "PAYMENT_INTEGRATION", o.ProductType)
	assert.Equal(t, m[1], o.MSN)
	for _, p := range st.Partners {
		if p.PartnerID == portaltest.PartnerID {
			assert.Contains(t, p.ConnectedSalesUnits, m[1], "the new unit is the partner's")
		}
	}
	for _, r := range s.Requests() {
		assert.NotContains(t, r.Path, "/portal/", "Management operations only")
	}
	for _, r := range s.RequestsOf("orderProduct") {
		assert.Equal(t, "onboard-merchant", r.Header.Get("Vipps-System-Name"))
	}
}

// TestNoPricePackageForTheProduct: with no price package for the product the
// order goes without one, and says so.
func TestNoPricePackageForTheProduct(t *testing.T) {
	code, out, stderr, _ := onSim(t, "COMPLETED", "-product", "CHECKOUT")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out.String(), "no price package of yours is for CHECKOUT")
	assert.Contains(t, out.String(), "order COMPLETED: new sales unit ")
}

// TestRejected: a merchant who rejects the order makes the program exit 1
// saying so.
func TestRejected(t *testing.T) {
	code, out, stderr, _ := onSim(t, "REJECTED")
	assert.Equal(t, 1, code)
	assert.Equal(t, "onboard-merchant: order "+out.order+" ended REJECTED\n", stderr)
	assert.NotContains(t, out.String(), "order COMPLETED")
}

// TestTimeout: a merchant who does nothing within -timeout makes the program
// exit 1 naming the order and its last status. (The bound covers the poll in
// flight, so it must leave the first poll time to be answered.)
func TestTimeout(t *testing.T) {
	code, out, stderr, sim := onSim(t, "", "-timeout", "200ms")
	assert.Equal(t, 1, code)
	require.Len(t, sim.Server.State().ProductOrders, 1)
	id := sim.Server.State().ProductOrders[0].ProductOrderID
	assert.Contains(t, stderr, "onboard-merchant: the merchant has not completed order "+id+" yet (still RECEIVED); run again later: ")
	assert.Contains(t, out.String(), "  poll 1: order RECEIVED\n")
}

// TestHelp: -h and -help print the usage under the program's own name and
// exit 0 without running anything.
func TestHelp(t *testing.T) {
	exampletest.Help(t, run, "onboard-merchant", "-scheme string", "-id string", "-product string", "-name string",
		"-price-package string", "-timeout duration", "-order-step duration")
}

// TestRefusesHalfConfigured: a base URL and a client id alone are refused,
// naming what is missing, and no simulator runs in their place.
func TestRefusesHalfConfigured(t *testing.T) {
	exampletest.Refuses(t, run, "onboard-merchant",
		map[string]string{portal.EnvClientID: "partner-client", portal.EnvBaseURL: "http://127.0.0.1:8080"},
		"VIPPS_CLIENT_SECRET, VIPPS_SUBSCRIPTION_KEY not set")
}

// TestRunFromEnv: with a partner's keys in the VIPPS_* variables it talks to
// the server they name (a simulator the test started) and starts none.
func TestRunFromEnv(t *testing.T) {
	s, code, _, stderr := exampletest.FromEnv(t, run, exampleenv.Partner, []string{"-timeout", "200ms"})
	assert.Equal(t, 1, code, "nobody completes the order on that server")
	assert.Contains(t, stderr, "(still RECEIVED)")
	assert.Equal(t, 1, s.Effects("orderProduct"), "the order was placed on the configured server")
}
