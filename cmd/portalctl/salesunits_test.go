package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSalesUnitsAndMerchants(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	unit := s.unitEnv(t, "123456")

	units := okJSON[[]obj](t, unit, "salesunits", "list")
	assert.Equal(t, []obj{{"msn": "123456", "name": "ACME Web"}, {"msn": "123457", "name": "ACME POS"}}, units)

	u := okJSON[obj](t, unit, "salesunits", "get", "123456")
	assert.Equal(t, "123456", u["msn"])
	assert.Equal(t, "ACME Web", u["name"])
	assert.Equal(t, "business:NO:ORG", at(t, u, "businessIdentifier", "scheme"))
	assert.Equal(t, "987654325", at(t, u, "businessIdentifier", "id"))
	assert.Equal(t, true, at(t, u, "configuration", "paymentAllowed"))
	assert.Equal(t, "ReserveCapture", at(t, u, "configuration", "captureType"))
	assert.Equal(t, true, at(t, u, "configuration", "recurringAllowed"))

	m := okJSON[obj](t, unit, "merchants", "get", "business:NO:ORG", "987654325")
	assert.Equal(t, "ACME Fantastic Fitness", m["name"])
	assert.Equal(t, "ACTIVE", m["status"])
	assert.Equal(t, "NO", m["countryCode"])
	assert.Equal(t, obj{"scheme": "business:NO:ORG", "id": "987654325"}, m["businessIdentifier"])
	assert.NotEmpty(t, m["createdAt"])

	// A partner reaches the units connected to it, of any merchant.
	partner := s.env("partner")
	connected := okJSON[[]obj](t, partner, "merchants", "salesunits", "business:NO:ORG", "912345678")
	assert.Equal(t, []obj{{"msn": "654321", "name": "Other Shop"}}, connected)
	other := okJSON[obj](t, partner, "--msn", "654321", "salesunits", "get", "654321")
	assert.Equal(t, "Other Shop", other["name"])

	// The same as tables and records for people.
	table := lines(ok(t, unit, "salesunits", "list").stdout)
	require.Len(t, table, 3)
	assert.Regexp(t, `^MSN\s+NAME$`, table[0])
	assert.Regexp(t, `^123456\s+ACME Web$`, table[1])
	rec := ok(t, unit, "salesunits", "get", "123456").stdout
	assert.Regexp(t, `(?m)^name:\s+ACME Web$`, rec)
	assert.Regexp(t, `(?m)^configuration:\n  paymentAllowed:\s+true$`, rec)

	// A test unit is not in the Management API: exit 1, and the SDK says where to look.
	r := ctl(t, unit, "salesunits", "get", "223344")
	assert.Equal(t, exitFailed, r.code, "%s", r)
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, "404")
	assert.Contains(t, r.stderr, "TestUnits.Get")
}
