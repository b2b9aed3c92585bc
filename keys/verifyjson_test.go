package keys_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/portal/portaltest"
)

// verificationJSON runs Verify on set and decodes json.Marshal of its
// outcome, which must show no value of set.
func verificationJSON(t *testing.T, s *portaltest.Server, set keys.Set) map[string]any {
	t.Helper()
	v, _ := s.AdminClient(fastRetry).Keys.Verify(t.Context(), set)
	require.NotNil(t, v)
	b, err := json.Marshal(v)
	require.NoError(t, err)
	for _, secret := range []string{set.ClientSecret.Reveal(), set.SubscriptionKeyPrimary.Reveal(), set.SubscriptionKeySecondary.Reveal()} {
		assert.NotContains(t, string(b), secret)
	}
	var got map[string]any
	require.NoError(t, json.Unmarshal(b, &got))
	return got
}

func TestVerificationJSONHasStableNames(t *testing.T) {
	s := newSim(t)
	set := simSet(t, s, portaltest.ProductionMSN)

	got := verificationJSON(t, s, set)
	assert.Equal(t, portaltest.ProductionMSN, got["msn"])
	assert.Equal(t, "production", got["environment"])
	assert.Equal(t, s.URL+"/accesstoken/get", got["tokenUrl"])
	assert.Equal(t, true, got["ok"])
	assert.Equal(t, map[string]any{"works": true}, got["subscriptionKeyPrimary"])
	assert.Equal(t, map[string]any{"works": true}, got["subscriptionKeySecondary"])
	assert.NotContains(t, got, "clientError")
	assert.NotEmpty(t, got["verifiedAt"])
	assert.Len(t, got, 7, "no other field: %v", got)

	// A subscription key the gateway refuses: its error, as text.
	_, err := s.AdminClient(fastRetry).Keys.Regenerate(t.Context(), portaltest.ProductionMSN, keys.SubscriptionKeySecondary)
	require.NoError(t, err)
	got = verificationJSON(t, s, set)
	assert.Equal(t, false, got["ok"])
	assert.Equal(t, map[string]any{"works": true}, got["subscriptionKeyPrimary"])
	secondary := got["subscriptionKeySecondary"].(map[string]any)
	assert.Equal(t, false, secondary["works"])
	assert.Contains(t, secondary["error"], "subscriptionKeySecondary of sales unit "+portaltest.ProductionMSN+" does not work")
	assert.NotContains(t, got, "clientError")

	// A client secret the token endpoint refuses: clientError says so.
	wrong := simSet(t, s, portaltest.ProductionMSN)
	wrong.ClientSecret = "not-the-secret"
	got = verificationJSON(t, s, wrong)
	assert.Equal(t, false, got["ok"])
	assert.Contains(t, got["clientError"], "the client id or client secret of sales unit "+portaltest.ProductionMSN+" does not work")
	assert.Equal(t, false, got["subscriptionKeyPrimary"].(map[string]any)["works"])

	var none *keys.Verification
	b, err := json.Marshal(none)
	require.NoError(t, err)
	assert.Equal(t, "null", string(b))
}
