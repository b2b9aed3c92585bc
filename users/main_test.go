package users_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them (a server
// not closed, an iterator left running, a connection left open).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
