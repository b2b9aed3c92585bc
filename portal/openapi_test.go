package portal_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// The module ships its own copy of the contract (tests and users read it without
// ../shared). It must stay byte-for-byte the shared file wherever that is present.
func TestOpenAPICopyMatchesSharedContract(t *testing.T) {
	shared, err := os.ReadFile("../../shared/api/portal-api.yaml")
	if os.IsNotExist(err) {
		t.Skip("../shared is not beside this checkout")
	}
	require.NoError(t, err)
	local, err := os.ReadFile("openapi.yaml")
	require.NoError(t, err)
	require.Equal(t, string(shared), string(local), "portal/openapi.yaml drifted from ../shared/api/portal-api.yaml")
}
