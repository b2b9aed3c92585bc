package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

const pricePackageID = "8a11afb7-c223-48ed-8ca6-4722b97261aa"

// prefill orders a product for the seed's first merchant and returns its id.
func prefill(t *testing.T, env map[string]string, name string) string {
	t.Helper()
	o := okJSON[obj](t, env, "orders", "prefill", "--scheme", "business:NO:ORG", "--id", "987654325",
		"--product-type", "PAYMENT_INTEGRATION", "--price-package", pricePackageID, "--sales-unit-name", name,
		"--website-url", "https://acme.example", "--terms-url", "https://acme.example/terms")
	id, isString := o["prefilledOrderId"].(string)
	require.True(t, isString, "%v", o)
	assert.Regexp(t, uuidPattern, id)
	assert.Contains(t, o["prefillUrl"], id)
	return id
}

func TestOrdersPrefillGetListDelete(t *testing.T) {
	t.Parallel()
	s := startSim(t) // -order-step 0: orders stay RECEIVED
	partner := s.env("partner")

	pkgs := okJSON[[]obj](t, partner, "orders", "price-packages")
	require.Len(t, pkgs, 1)
	assert.Equal(t, obj{"pricePackageId": pricePackageID, "name": "POS standard", "description": "2.99%",
		"productType": "PAYMENT_INTEGRATION", "market": "NO"}, pkgs[0])

	id := prefill(t, partner, "ACME Web 2")
	o := okJSON[obj](t, partner, "orders", "get", id)
	assert.Equal(t, id, o["productOrderId"])
	assert.Equal(t, "RECEIVED", o["status"])
	assert.Equal(t, "PREFILL", o["productOrderType"])
	assert.Equal(t, "PAYMENT_INTEGRATION", o["productType"])
	assert.Equal(t, obj{"scheme": "business:NO:ORG", "id": "987654325"}, o["businessIdentifier"])
	assert.NotContains(t, o, "salesUnit", "no unit before the order completes")

	orders := okJSON[[]obj](t, partner, "orders", "list")
	require.Len(t, orders, 1)
	assert.Equal(t, id, orders[0]["productOrderId"])
	assert.Regexp(t, `(?m)^`+id+`\s+RECEIVED\s+PAYMENT_INTEGRATION\s+business:NO:ORG 987654325\s+-$`, ok(t, partner, "orders", "list").stdout)

	assert.Equal(t, obj{"productOrderId": id, "deleted": true}, okJSON[obj](t, partner, "orders", "delete", id))
	r := ctl(t, partner, "orders", "get", id)
	assert.Equal(t, exitFailed, r.code, "%s", r)
	assert.Contains(t, r.stderr, "404")
	assert.Empty(t, okJSON[[]obj](t, partner, "orders", "list"))

	// Partners only: a unit's own keys are refused.
	r = ctl(t, s.unitEnv(t, "123456"), "orders", "price-packages")
	assert.Equal(t, exitFailed, r.code, "%s", r)
	assert.Contains(t, r.stderr, "403")
}

func TestOrdersWait(t *testing.T) {
	t.Parallel()
	s := startSim(t, "-order-step", "50ms") // RECEIVED → ... → COMPLETED in 200 ms
	partner := s.env("partner")
	id := prefill(t, partner, "ACME Web 3")

	r := ok(t, partner, "orders", "wait", id, "--json")
	var o obj
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &o), "stdout holds only the JSON document: %s", r.stdout)
	assert.Equal(t, id, o["productOrderId"])
	assert.Equal(t, "COMPLETED", o["status"])
	assert.Regexp(t, `^\d{6}$`, at(t, o, "salesUnit", "msn"))
	assert.Equal(t, "ACME Web 3", at(t, o, "salesUnit", "name"))
	// Progress went to stderr, a line per state seen, the last one done.
	progress := lines(r.stderr)
	require.NotEmpty(t, progress)
	for _, l := range progress {
		assert.True(t, strings.HasPrefix(l, "product order "+id+": "), "progress line %q", l)
	}
	assert.Regexp(t, `COMPLETED after \S+ \(poll \d+\): ready$`, progress[len(progress)-1])

	// The new unit is connected to the partner.
	units := okJSON[[]obj](t, partner, "salesunits", "list")
	assert.Contains(t, units, o["salesUnit"])
}
