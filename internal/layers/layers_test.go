// Package layers_test checks that imports flow one way through the module:
// vipps at the ground, internal above it, the domain packages above that
// (never importing each other), portal at the top, and the simulator, the
// examples and the commands over everything.
package layers_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const module = "github.com/vippsportal/sdk"

// testHelpers are internal packages only tests may import (a public package
// importing one is a failure of TestPublicPackagesDoNotDependOnTestHelpers in
// portal); they sit above everything they help test.
var testHelpers = map[string]bool{"internal/sdktest": true, "internal/contracttest": true}

// floor is the layer of a package of the module: a package may import only
// packages of a lower floor, or of its own floor where that floor allows it.
func floor(pkg string) int {
	switch {
	case pkg == "vipps":
		return 0
	case testHelpers[pkg]:
		return 5
	case strings.HasPrefix(pkg, "internal/"):
		return 1
	case pkg == "salesunit", pkg == "keys", pkg == "users", pkg == "webhooks":
		return 2
	case pkg == "portal":
		return 3
	case pkg == "portal/portaltest":
		return 4
	}
	return 6 // examples, commands
}

// TestImportsFlowOneWay reads every package's imports (not its tests') and
// refuses an import of a package on the same floor or above, except between
// internal packages (internal/wiring builds on internal/core) and at the top.
func TestImportsFlowOneWay(t *testing.T) {
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./...")
	cmd.Dir = root
	out, err := cmd.Output()
	require.NoError(t, err)
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		from := strings.TrimPrefix(fields[0], module+"/")
		for _, imp := range fields[1:] {
			to, ok := strings.CutPrefix(imp, module+"/")
			if !ok && imp != module {
				continue
			}
			checked++
			f, g := floor(from), floor(to)
			sameFloorAllowed := f == g && (f == 1 || f == 6)
			assert.True(t, g < f || sameFloorAllowed, "%s (floor %d) imports %s (floor %d): imports flow down only", from, f, to, g)
		}
	}
	assert.Greater(t, checked, 20, "the module's packages import each other")
	assert.Equal(t, 0, floor("vipps"))
}

// vipps, the ground floor, imports nothing of the SDK.
func TestVippsImportsNothingOfTheSDK(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", module+"/vipps")
	out, err := cmd.Output()
	require.NoError(t, err)
	deps := strings.Fields(string(out))
	require.Contains(t, deps, module+"/vipps")
	for _, d := range deps {
		if d != module+"/vipps" {
			assert.False(t, strings.HasPrefix(d, module), "vipps depends on %s", d)
		}
	}
}
