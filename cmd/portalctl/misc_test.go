package main

import (
	"context"
	"errors"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/vipps"
)

func TestVersion(t *testing.T) {
	t.Parallel()
	v := okJSON[obj](t, nil, "version")
	assert.Equal(t, vipps.Version, v["sdkVersion"])
	assert.Equal(t, runtime.Version(), v["goVersion"], "built by the same Go as the tests")
	assert.NotEmpty(t, v["version"])
	assert.Regexp(t, `^portalctl \S+ \(SDK `+vipps.Version+`, go\S+\)\n$`, ok(t, nil, "version").stdout)
}

func TestCompletionScriptsAndValues(t *testing.T) {
	t.Parallel()
	for shell, marker := range map[string]string{"bash": "complete -o default -F __start_portalctl portalctl",
		"zsh": "#compdef portalctl", "fish": "complete -c portalctl", "powershell": "Register-ArgumentCompleter"} {
		assert.Contains(t, ok(t, nil, "completion", shell).stdout, marker, shell)
	}
	// Values the shell offers, from the SDK's own names.
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"users", "invite", "--role", ""}, []string{"ADMINISTRATOR", "SALES_UNIT_MANAGER", "ASSISTANT"}},
		{[]string{"users", "grant", "dev", "123456", ""}, []string{"DEVELOPER", "TRANSACTION_MANAGEMENT"}},
		{[]string{"keys", "regenerate", "123456", ""}, []string{"clientId", "clientSecret", "subscriptionKeyPrimary", "subscriptionKeySecondary"}},
		{[]string{"testunits", "creations", "--status", ""}, []string{"PENDING", "COMPLETED", "FAILED"}},
		{[]string{"orders", "prefill", "--product-type", ""}, []string{"PAYMENT_INTEGRATION", "CASHIER", "CHECKOUT", "LOGIN", "DONATIONS"}},
		{[]string{"test"}, []string{"testunits"}},
		{[]string{"webhooks", "register", "--event", ""}, catalog()},
		{[]string{"webhooks", "trigger", "--event", ""}, catalog()},
	} {
		out := ok(t, nil, append([]string{"__complete"}, tc.args...)...).stdout
		var got []string
		for _, l := range lines(out) {
			if !strings.HasPrefix(l, ":") { // the last line is the shell directive
				got = append(got, strings.SplitN(l, "\t", 2)[0])
			}
		}
		assert.Equal(t, tc.want, got, "completing %q", tc.args)
	}
}

// SIGINT ends a wait at once (exit 1, "interrupted"), and the live progress
// it had printed is kept.
func TestInterruptEndsAWait(t *testing.T) {
	t.Parallel()
	s := startSim(t) // -order-step 0: the order never completes
	partner := s.env("partner")
	id := prefill(t, partner, "Never done")

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := command(ctx, partner, "orders", "wait", id)
	stderr := &firstLine{ready: make(chan struct{})}
	cmd.Stderr = stderr
	require.NoError(t, cmd.Start())
	select {
	case <-stderr.ready: // the first poll was reported: the wait is on
	case <-ctx.Done():
		t.Fatal("no progress reported")
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	err := cmd.Wait()
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "%v", err)
	assert.Equal(t, exitFailed, exit.ExitCode())
	assert.Contains(t, stderr.line, "product order "+id+": RECEIVED after ")
	assert.Contains(t, stderr.String(), "portalctl: interrupted\n")
}
