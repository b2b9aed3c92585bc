package portal_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/vipps"
)

func TestNewFromEnvTokenFlow(t *testing.T) {
	t.Setenv(portal.EnvClientID, "mgmt-client")
	t.Setenv(portal.EnvClientSecret, "mgmt-secret-value")
	t.Setenv(portal.EnvSubscriptionKey, "")
	t.Setenv(portal.EnvMSN, "")
	t.Setenv(portal.EnvEnvironment, "")
	t.Setenv(portal.EnvBaseURL, "")
	t.Setenv(portal.EnvPortalURL, "")

	t.Setenv(portal.EnvTokenFlow, " Specialized ")
	t.Setenv(portal.EnvTokenScope, "")
	c, err := portal.NewFromEnv()
	require.NoError(t, err, "management keys need no subscription key")
	assert.Equal(t, vipps.SpecializedAuth, portal.CoreOf(c).Credentials().Flow)
	assert.Empty(t, portal.CoreOf(c).Credentials().Scope)

	t.Setenv(portal.EnvTokenScope, " donations:read payments:read ")
	c, err = portal.NewFromEnv()
	require.NoError(t, err)
	assert.Equal(t, "donations:read payments:read", portal.CoreOf(c).Credentials().Scope)
	t.Setenv(portal.EnvTokenScope, "")

	t.Setenv(portal.EnvTokenFlow, "oauth")
	_, err = portal.NewFromEnv()
	var ve *vipps.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, portal.EnvTokenFlow, ve.Field)

	t.Setenv(portal.EnvTokenFlow, "specialized")
	t.Setenv(portal.EnvSubscriptionKey, "sub-key-value")
	_, err = portal.NewFromEnv()
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, portal.EnvSubscriptionKey, ve.Field, "the variable, not the Go field")
	assert.NotContains(t, err.Error(), "sub-key-value")

	t.Setenv(portal.EnvTokenFlow, "standard")
	c, err = portal.NewFromEnv()
	require.NoError(t, err)
	assert.Equal(t, vipps.StandardAuth, portal.CoreOf(c).Credentials().Flow)
}

func TestCredentialsAreOneType(t *testing.T) {
	// The core holds the vipps.Credentials it was given, not a field-by-field copy.
	c, err := portal.New(portal.WithCredentials(vipps.Credentials{ClientID: "id", ClientSecret: vipps.Secret("s"), Flow: vipps.SpecializedAuth}))
	require.NoError(t, err)
	var got vipps.Credentials = portal.CoreOf(c).Credentials()
	assert.Equal(t, vipps.Credentials{ClientID: "id", ClientSecret: "s", Flow: vipps.SpecializedAuth}, got)
}

// Management keys whose secret holds '+' and "%2B" authenticate against the
// simulator, which decodes the Basic credentials as RFC 6749 has servers do.
func TestManagementKeysWithFormSpecialCharacters(t *testing.T) {
	seed := portaltest.DefaultSeed()
	seed.Partners[0].ManagementKeys = &portaltest.SeedManagementKeys{ClientSecret: "mk+secret%2Bvalue/=&x"}
	s := portaltest.NewServer(portaltest.WithSeed(seed))
	t.Cleanup(s.Close)
	require.Equal(t, "mk+secret%2Bvalue/=&x", s.ManagementCredentials(portaltest.PartnerID).ClientSecret.Reveal())
	c, err := s.ManagementClient(portaltest.PartnerID)
	require.NoError(t, err)
	units, err := c.SalesUnits.List(t.Context())
	require.NoError(t, err, "the token endpoint took the secret as it is")
	assert.NotEmpty(t, units)
}
