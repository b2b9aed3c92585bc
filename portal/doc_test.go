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
// secret.Secret, a constant whose value reads core.X).
func TestPublicDocsNameNoInternalPackage(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH")
	}
	leak := regexp.MustCompile(`\b(core|secret|wiring|contracttest|sdktest)\.[A-Za-z]|\binternal/`)
	for _, pkg := range []string{".", "./vipps", "./portaltest", "../salesunit", "../keys", "../users"} {
		out, err := exec.CommandContext(t.Context(), goTool, "doc", "-all", pkg).CombinedOutput()
		require.NoError(t, err, "go doc -all %s: %s", pkg, out)
		require.NotEmpty(t, out)
		assert.Empty(t, leak.FindAllString(string(out), -1), "go doc -all %s names an internal package", pkg)
	}
}
