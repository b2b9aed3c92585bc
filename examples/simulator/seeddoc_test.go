package main

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/portal/portaltest"
)

// The seed docs/simulator.md shows is one the simulator accepts, and means what it says.
func TestDocumentedSeedLoads(t *testing.T) {
	readme, err := os.ReadFile("../../docs/simulator.md")
	require.NoError(t, err)
	_, rest, ok := strings.Cut(string(readme), "A seed is JSON:")
	require.True(t, ok, "docs/simulator.md has a seed example")
	_, rest, ok = strings.Cut(rest, "```json")
	require.True(t, ok)
	js, _, ok := strings.Cut(rest, "```")
	require.True(t, ok)

	seed, err := portaltest.LoadSeed(strings.NewReader(js))
	require.NoError(t, err)
	require.Len(t, seed.Merchants, 1)
	m := seed.Merchants[0]
	assert.Equal(t, "987654325", m.BusinessIdentifier.ID)
	require.Len(t, m.SalesUnits, 2)
	assert.Equal(t, "test", m.SalesUnits[1].Environment)

	s, err := portaltest.Start("127.0.0.1:0", portaltest.WithSeed(seed))
	require.NoError(t, err)
	defer s.Close()
	admin, err := s.Client(s.UserCredentials("admin"))
	require.NoError(t, err)
	me, err := admin.Users.Me(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "Ada Admin", me.Name)
	unit, err := admin.TestUnits.Get(t.Context(), "223344")
	require.NoError(t, err)
	assert.True(t, unit.Options.SkipLandingPage, "a test unit's options become its configuration")
	assert.True(t, *unit.Configuration.SkipLandingPageAllowed)
}
