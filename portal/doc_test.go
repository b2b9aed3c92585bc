package portal_test

import (
	"os/exec"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPublicDocsNameNoInternalPackage runs `go doc -all` on every public
// package: users cannot import internal packages, so their documentation must
// not name one (an exported constructor taking *core.Client, a field typed
// vipps.Secret, a constant whose value reads core.X).
func TestPublicDocsNameNoInternalPackage(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH")
	}
	leak := regexp.MustCompile(`\b(core|secret|wiring|contracttest|sdktest)\.[A-Za-z]|\binternal/`)
	for _, pkg := range []string{".", "../vipps", "./portaltest", "../salesunit", "../keys", "../users", "../webhooks"} {
		out, err := exec.CommandContext(t.Context(), goTool, "doc", "-all", pkg).CombinedOutput()
		require.NoError(t, err, "go doc -all %s: %s", pkg, out)
		require.NotEmpty(t, out)
		assert.Empty(t, leak.FindAllString(string(out), -1), "go doc -all %s names an internal package", pkg)
	}
}

// TestPublicPackagesDoNotDependOnTestHelpers: internal/sdktest and
// internal/contracttest (and with them testify, httpmock and kin-openapi) are
// for the module's tests only; no public package may import them.
func TestPublicPackagesDoNotDependOnTestHelpers(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH")
	}
	out, err := exec.CommandContext(t.Context(), goTool, "list", "-deps", ".", "../vipps", "./portaltest", "../salesunit", "../keys", "../users", "../webhooks").CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "github.com/vippsportal/sdk/internal/core")
	for _, helper := range []string{"internal/sdktest", "internal/contracttest", "jarcoal/httpmock", "getkin/kin-openapi", "stretchr/testify"} {
		assert.NotContains(t, string(out), helper)
	}
}
