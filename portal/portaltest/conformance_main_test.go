package portaltest_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's external tests if any goroutine outlives them
// (a simulator that is not fully closed, a connection left open).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
