package perf

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// server is the fake server every benchmark and test of the package talks to.
var server *child

func TestMain(m *testing.M) {
	if os.Getenv(serverEnv) == "1" {
		serveChild() // never returns
	}
	var err error
	if server, err = startChild(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	server.stop()
	if code == 0 {
		// Every benchmark closes its clients' idle connections, so nothing of
		// ours may still run (goleak.VerifyTestMain would exit before stop).
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}
