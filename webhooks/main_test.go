package webhooks_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them (a test
// server not closed, a handler still running).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
