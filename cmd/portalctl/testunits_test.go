package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTestUnitCreatedWithAllThreeOptionsAndWait(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	admin := s.env("admin")

	r := ok(t, admin, "testunits", "create", "--name", "Dev shop", "--partner", "Integrator AS",
		"--skip-landing-page", "--recurring", "--direct-capture", "--wait", "--json")
	var u obj
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &u), "stdout holds only the JSON document: %s", r.stdout)
	assert.Regexp(t, `^\d{6}$`, u["msn"])
	assert.Equal(t, "Dev shop", u["name"])
	assert.Equal(t, "Integrator AS", u["partner"])
	assert.Equal(t, obj{"skipLandingPage": true, "recurring": true, "directCapture": true}, u["options"])
	assert.Equal(t, true, at(t, u, "configuration", "paymentAllowed"))
	assert.Equal(t, "DirectCapture", at(t, u, "configuration", "captureType"))
	assert.Equal(t, true, at(t, u, "configuration", "skipLandingPageAllowed"))
	assert.Equal(t, true, at(t, u, "configuration", "recurringAllowed"))
	assert.Equal(t, obj{"scheme": "business:NO:ORG", "id": "987654325"}, u["businessIdentifier"])
	assert.Equal(t, true, u["keysReady"], "--wait waits for the keys too")
	assert.NotEmpty(t, u["completedAt"])
	progress := lines(r.stderr)
	require.NotEmpty(t, progress, "progress on stderr")
	assert.Regexp(t, `^test unit `+u["msn"].(string)+`: ready after \S+ \(poll \d+\): ready$`, progress[len(progress)-1])

	// Its keys can be read at once.
	keys := okJSON[obj](t, admin, "keys", "get", u["msn"].(string))
	assert.Equal(t, "test", keys["environment"])
}

func TestTestUnitsCreateThenWaitListGetCreations(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	admin := s.env("admin")

	cr := okJSON[obj](t, admin, "testunits", "create", "--name", "Plain shop")
	id, isString := cr["creationId"].(string)
	require.True(t, isString)
	assert.Regexp(t, uuidPattern, id)
	assert.Equal(t, "PENDING", cr["status"])
	assert.Equal(t, obj{"name": "Plain shop", "options": obj{"skipLandingPage": false, "recurring": false, "directCapture": false}}, cr["request"])
	assert.NotContains(t, cr, "msn", "no MSN before it completes")

	u := okJSON[obj](t, admin, "testunits", "wait", id)
	msn, isString := u["msn"].(string)
	require.True(t, isString)
	assert.Equal(t, "Plain shop", u["name"])
	assert.Equal(t, "ReserveCapture", at(t, u, "configuration", "captureType"))
	assert.Equal(t, true, u["keysReady"])

	got := okJSON[obj](t, admin, "testunits", "get", msn)
	assert.Equal(t, u, got)

	units := okJSON[[]obj](t, admin, "testunits", "list")
	var msns []string
	for _, x := range units {
		msns = append(msns, x["msn"].(string))
	}
	assert.Equal(t, []string{"223344", msn}, msns, "the seed's test unit, then the new one")

	done := okJSON[[]obj](t, admin, "testunits", "creations", "--status", "COMPLETED")
	require.Len(t, done, 1)
	assert.Equal(t, id, done[0]["creationId"])
	assert.Equal(t, "COMPLETED", done[0]["status"])
	assert.Equal(t, msn, done[0]["msn"])
	assert.Empty(t, okJSON[[]obj](t, admin, "testunits", "creations", "--status", "PENDING"))
	assert.Len(t, okJSON[[]obj](t, admin, "testunits", "creations"), 1)

	table := ok(t, admin, "testunits", "list").stdout
	assert.Regexp(t, `(?m)^MSN\s+NAME\s+OPTIONS\s+KEYS READY\s+COMPLETED$`, table)
	assert.Regexp(t, `(?m)^223344\s+ACME Test\s+skip-landing-page\s+yes\s+\S+$`, table)
	assert.Regexp(t, `(?m)^`+msn+`\s+Plain shop\s+-\s+yes\s+\S+$`, table)

	// A person is told how to wait for an order made without --wait.
	r := ok(t, admin, "testunits", "create", "--name", "Another shop")
	assert.Contains(t, r.stderr, "portalctl testunits wait ")
	assert.Regexp(t, `(?m)^status:\s+PENDING$`, r.stdout)

	// A unit's own keys are not a portal user's.
	r = ctl(t, s.unitEnv(t, "123456"), "testunits", "list")
	assert.Equal(t, exitFailed, r.code, "%s", r)
	assert.True(t, strings.Contains(r.stderr, "not-a-portal-user"), "%s", r)
}
