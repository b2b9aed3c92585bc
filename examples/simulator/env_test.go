package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
)

// vippsVars are every variable portal.NewFromEnv reads.
var vippsVars = []string{"VIPPS_BASE_URL", "VIPPS_PORTAL_URL", "VIPPS_CLIENT_ID", "VIPPS_CLIENT_SECRET",
	"VIPPS_SUBSCRIPTION_KEY", "VIPPS_MSN", "VIPPS_TOKEN_FLOW", "VIPPS_ENVIRONMENT"}

// started is a simulator run by run() in the background.
type started struct {
	url    string
	blocks map[string]string // kind -> its lines
	order  []string          // kinds in printed order
	stderr *bytes.Buffer
	stop   func() int
}

// start runs the command with args and reads what it prints before serving:
// the "listening on" line, then blocks separated by blank lines, nblocks of them.
func start(t *testing.T, nblocks int, args ...string) *started {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	st := &started{blocks: map[string]string{}, stderr: &bytes.Buffer{}}
	go func() {
		rc := run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), pw, st.stderr)
		pw.Close()
		done <- rc
	}()
	rd := bufio.NewReader(pr)
	line, err := rd.ReadString('\n')
	require.NoError(t, err)
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	require.True(t, ok, "first line %q", line)
	st.url = url
	var cur strings.Builder
	for len(st.order) < nblocks {
		line, err := rd.ReadString('\n')
		require.NoError(t, err)
		if line == "\n" {
			text := cur.String()
			st.order = append(st.order, kindOf(t, text))
			st.blocks[kindOf(t, text)] = text
			cur.Reset()
			continue
		}
		cur.WriteString(line)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	stopped := false
	st.stop = func() int {
		if stopped {
			return 0
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { st.stop() })
	return st
}

func kindOf(t *testing.T, block string) string {
	t.Helper()
	header, _, _ := strings.Cut(block, "\n")
	switch {
	case strings.HasPrefix(header, "# sales unit "):
		return "unit"
	case strings.Contains(header, "management keys"):
		return "management"
	case strings.HasPrefix(header, "# partner "):
		return "partner"
	case strings.HasPrefix(header, "# administrator "):
		return "admin"
	}
	t.Fatalf("unknown block header %q", header)
	return ""
}

// evalInShell evaluates script in a POSIX shell with an empty environment and
// returns the VIPPS_* variables it leaves set.
func evalInShell(t *testing.T, script string) map[string]string {
	t.Helper()
	cmd := exec.Command("sh", "-c", `eval "$1" && env`, "sh", script)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "VIPPS_ENVIRONMENT=test", "VIPPS_MSN=999999"} // stale values the blocks must clear
	out, err := cmd.Output()
	require.NoError(t, err, "sh could not evaluate:\n%s", script)
	vars := map[string]string{}
	for _, l := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok && strings.HasPrefix(k, "VIPPS_") {
			vars[k] = v
		}
	}
	return vars
}

// clientFrom sets exactly vars as the process's VIPPS_* environment and
// builds a client the way the examples do.
func clientFrom(t *testing.T, vars map[string]string) *portal.Client {
	t.Helper()
	for _, k := range vippsVars {
		t.Setenv(k, vars[k])
	}
	c, err := portal.NewFromEnv()
	require.NoError(t, err)
	return c
}

// Every printed block works when a shell evaluates it: a client built from
// the resulting environment makes a call its principal may make.
func TestPrintedLinesWork(t *testing.T) {
	st := start(t, 4)
	assert.Equal(t, []string{"unit", "partner", "management", "admin"}, st.order, "the admin block is last")
	ctx := t.Context()

	unit := evalInShell(t, st.blocks["unit"])
	assert.Equal(t, portaltest.ProductionMSN, unit["VIPPS_MSN"])
	assert.Equal(t, st.url, unit["VIPPS_BASE_URL"])
	assert.Equal(t, st.url, unit["VIPPS_PORTAL_URL"])
	assert.NotContains(t, unit, "VIPPS_ENVIRONMENT", "a stale environment is unset")
	su, err := clientFrom(t, unit).SalesUnits.Get(ctx, portaltest.ProductionMSN)
	require.NoError(t, err)
	assert.Equal(t, portaltest.ProductionMSN, su.MSN)

	partner := evalInShell(t, st.blocks["partner"])
	assert.NotContains(t, partner, "VIPPS_MSN", "a stale MSN is unset")
	pk, err := clientFrom(t, partner).ProductOrders.PricePackages(ctx)
	require.NoError(t, err)
	assert.Len(t, pk, 1)

	mgmt := evalInShell(t, st.blocks["management"])
	assert.Equal(t, "specialized", mgmt["VIPPS_TOKEN_FLOW"])
	assert.NotContains(t, mgmt, "VIPPS_SUBSCRIPTION_KEY")
	assert.NotContains(t, st.blocks["management"], "VIPPS_SUBSCRIPTION_KEY=", "no subscription key line for management keys")
	units, err := clientFrom(t, mgmt).SalesUnits.List(ctx)
	require.NoError(t, err)
	assert.Len(t, units, 2, "the partner's connected units")

	admin := evalInShell(t, st.blocks["admin"])
	me, err := clientFrom(t, admin).Users.Me(ctx)
	require.NoError(t, err)
	assert.Equal(t, portaltest.AdminUserID, me.UserID)

	// The whole output pasted at once leaves the admin set; the management
	// block pasted after another leaves no subscription key behind.
	all := evalInShell(t, strings.Join([]string{st.blocks["unit"], st.blocks["partner"], st.blocks["management"], st.blocks["admin"]}, "\n"))
	assert.Equal(t, admin, all)
	after := evalInShell(t, st.blocks["admin"]+"\n"+st.blocks["management"])
	assert.Equal(t, mgmt, after)
	_, err = clientFrom(t, after).SalesUnits.List(ctx)
	require.NoError(t, err)
	assert.Equal(t, 0, st.stop())
}

// -principal prints one block; -print-env prints the blocks of a server
// started with the same flags, with the same keys.
func TestPrincipalFlagAndPrintEnv(t *testing.T) {
	st := start(t, 1, "-principal", "management")
	assert.Equal(t, []string{"management"}, st.order)
	port := st.url[strings.LastIndex(st.url, ":")+1:]
	var out, errs bytes.Buffer
	require.Equal(t, 0, run(t.Context(), []string{"-print-env", "-principal", "management", "-addr", "127.0.0.1:" + port}, &out, &errs), errs.String())
	assert.Equal(t, st.blocks["management"]+"\n", out.String(), "-print-env matches the running server")

	out.Reset()
	assert.Equal(t, 2, run(t.Context(), []string{"-principal", "root"}, &out, &errs))
	assert.Contains(t, errs.String(), "-principal")
}

// Keys are stable for a given seed and -rand-seed: two starts print the same
// lines, -print-seed shows the same keys, another -rand-seed gives others.
func TestStableKeys(t *testing.T) {
	envOf := func(args ...string) string {
		var out, errs bytes.Buffer
		require.Equal(t, 0, run(t.Context(), append([]string{"-print-env", "-addr", "127.0.0.1:8080"}, args...), &out, &errs), errs.String())
		return out.String()
	}
	a, b := envOf(), envOf()
	assert.Equal(t, a, b)
	assert.NotEqual(t, a, envOf("-rand-seed", "2"))
	assert.Equal(t, envOf("-rand-seed", "7"), envOf("-rand-seed", "7"))

	var seedOut, errs bytes.Buffer
	require.Equal(t, 0, run(t.Context(), []string{"-print-seed"}, &seedOut, &errs))
	seed, err := portaltest.LoadSeed(&seedOut)
	require.NoError(t, err)
	mk := seed.Partners[0].ManagementKeys
	require.NotNil(t, mk, "-print-seed shows the management keys")
	assert.Contains(t, a, "export VIPPS_CLIENT_ID='"+mk.ClientID+"'")
	assert.Contains(t, a, "export VIPPS_CLIENT_SECRET='"+mk.ClientSecret+"'")
	assert.Contains(t, a, "export VIPPS_CLIENT_ID='"+seed.Merchants[0].Users[0].APIClient.ClientID+"'")

	// A running server started twice with the same flags has the same keys.
	s1 := start(t, 4)
	s2 := start(t, 4)
	for _, k := range principals {
		assert.Equal(t, strings.ReplaceAll(s1.blocks[k], s1.url, "URL"), strings.ReplaceAll(s2.blocks[k], s2.url, "URL"), k)
	}
	assert.Equal(t, strings.ReplaceAll(a, "http://127.0.0.1:8080", "URL"),
		strings.ReplaceAll(strings.Join([]string{s1.blocks["unit"], s1.blocks["partner"], s1.blocks["management"], s1.blocks["admin"]}, "\n")+"\n", s1.url, "URL"))
}

// Values and names from a seed cannot break out of their lines.
func TestBlocksQuoteValues(t *testing.T) {
	seed := portaltest.Seed{Merchants: []portaltest.SeedMerchant{{
		BusinessIdentifier: portaltest.SeedBusinessIdentifier{Scheme: "business:NO:ORG", ID: "987654325"},
		Users: []portaltest.SeedUser{{UserID: "a\nexport PWNED=1", Name: "x", Role: "ADMINISTRATOR",
			APIClient: &portaltest.SeedAPIClient{ClientID: "id", ClientSecret: `it's $(echo no) "x" \ ` + "`y`", SubscriptionKey: "k"}}},
	}}}
	var out bytes.Buffer
	printBlocks(&out, "http://127.0.0.1:1", seed, "all")
	vars := evalInShell(t, out.String())
	assert.Equal(t, `it's $(echo no) "x" \ `+"`y`", vars["VIPPS_CLIENT_SECRET"], "the value arrives as written")
	assert.NotContains(t, vars, "VIPPS_PWNED")
	cmd := exec.Command("sh", "-c", `eval "$1" && env`, "sh", out.String())
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	env, err := cmd.Output()
	require.NoError(t, err)
	assert.NotContains(t, string(env), "PWNED")
}

// -v logs method, path, operation and status of each request, and never a
// secret, a query string or a header value.
func TestVerboseLogsNoSecret(t *testing.T) {
	st := start(t, 4, "-v")
	admin := evalInShell(t, st.blocks["admin"])
	mgmt := evalInShell(t, st.blocks["management"])
	c := clientFrom(t, admin)
	_, err := c.Users.Me(t.Context())
	require.NoError(t, err)
	_, err = clientFrom(t, mgmt).SalesUnits.List(t.Context())
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodGet, st.url+"/portal/v1/test-sales-units?pageToken="+admin["VIPPS_CLIENT_SECRET"], nil)
	require.NoError(t, err)
	req.Header.Set("Ocp-Apim-Subscription-Key", admin["VIPPS_SUBSCRIPTION_KEY"])
	req.Header.Set("Authorization", "Bearer "+admin["VIPPS_CLIENT_SECRET"])
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	http.DefaultClient.CloseIdleConnections()
	require.Equal(t, 0, st.stop())

	log := st.stderr.String()
	assert.Contains(t, log, "POST /accesstoken/get fetchAuthorizationTokenUsingPost 200\n")
	assert.Contains(t, log, "GET /portal/v1/me getMe 200\n")
	assert.Contains(t, log, "POST /miami/v1/token fetchToken 200\n")
	assert.Contains(t, log, "GET /management/v1/sales-units getAllSalesUnits 200\n")
	assert.Contains(t, log, "GET /portal/v1/test-sales-units listTestSalesUnits 401\n")
	for _, secret := range []string{admin["VIPPS_CLIENT_SECRET"], admin["VIPPS_SUBSCRIPTION_KEY"], mgmt["VIPPS_CLIENT_SECRET"], "pageToken", "Bearer", "Basic"} {
		assert.NotContains(t, log, secret)
	}
}

func TestHelpExitsZero(t *testing.T) {
	var out, errs bytes.Buffer
	assert.Equal(t, 0, run(t.Context(), []string{"-h"}, &out, &errs))
	assert.Contains(t, errs.String(), "Usage: simulator")
	for _, f := range []string{"-principal", "-rand-seed", "-print-env", "-v", "-request-log-limit", "-local-webhooks", "POST /_simulator/notifications"} {
		assert.Contains(t, errs.String(), f)
	}
	assert.Equal(t, 2, run(t.Context(), []string{"-request-log-limit", "0"}, &out, &errs))
}
